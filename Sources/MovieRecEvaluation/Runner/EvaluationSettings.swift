import MovieRecModel

/// What an evaluation measures and with which model.
public struct EvaluationSettings: Sendable, Equatable {
    /// The top-N cut-off K (10 by default).
    public var k: Int
    /// The minimum test rating of a relevant item (4.0 by default).
    public var relevanceThreshold: Float
    /// The model's parameters. A rank larger than min(train users, train films) is lowered to it.
    public var parameters: ModelParameters
    /// Worker threads for scoring test rows and users (results do not depend on it).
    public var threadCount: Int

    /// Creates settings (defaults: K = 10, relevance ≥ 4.0, default model parameters, one thread).
    public init(k: Int = 10, relevanceThreshold: Float = 4, parameters: ModelParameters = ModelParameters(),
                threadCount: Int = 1) {
        self.k = k
        self.relevanceThreshold = relevanceThreshold
        self.parameters = parameters
        self.threadCount = max(1, threadCount)
    }
}
