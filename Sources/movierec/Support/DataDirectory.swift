import Foundation

/// Finds the repository's `data/` folders (demo data sets) from wherever `movierec` runs.
enum DataDirectory {
    /// The directory `relative` (e.g. `data/demo`) under the current directory, else under the executable's
    /// directory or one of its ancestors (a build folder inside the repository).
    ///
    /// - Throws: ``CommandError`` `.demoSetup` listing the places searched.
    static func locate(_ relative: String, containing file: String) throws -> URL {
        let fileManager = FileManager.default
        var bases = [URL(fileURLWithPath: fileManager.currentDirectoryPath)]
        var directory = executableURL.deletingLastPathComponent()
        while true {
            bases.append(directory)
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { break }
            directory = parent
        }
        for base in bases {
            let candidate = base.appendingPathComponent(relative)
            if fileManager.fileExists(atPath: candidate.appendingPathComponent(file).path) { return candidate }
        }
        throw CommandError(.demoSetup, "cannot find \(relative)/\(file): looked in the current directory "
                           + "(\(bases[0].path)) and above the movierec executable (\(executableURL.path)); "
                           + "run the demo from the movierec repository")
    }

    /// The running executable, symbolic links resolved.
    private static var executableURL: URL {
        let url = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        return url.resolvingSymlinksInPath()
    }
}
