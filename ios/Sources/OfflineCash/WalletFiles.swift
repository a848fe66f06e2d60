// WalletFiles: the files of one wallet database and what the app does with them at launch —
// keep them out of backups, and set a database aside (never delete it) when its key is gone.
//
//   <dir>/wallet.db        the SQLite database        ┐ excluded from iCloud / Finder backups:
//   <dir>/wallet.db-wal    its write-ahead log         │ a restored copy revives spent notes and
//   <dir>/wallet.db-shm    the WAL index               │ an old counter, and the issuer then sees
//   <dir>/wallet.db-journal (rollback journal, if any) ┘ an honest user as a double spender
//   <dir>                  the directory itself: SQLite recreates -wal / -shm (new inodes, no
//                          attribute), so the directory is excluded too and covers them
//
// Platform-independent (tested on Linux); only `excludeFromBackup()` needs Apple's Foundation.
import Foundation

/// The files of the wallet database at `database`.
public struct WalletFiles: Equatable, Sendable {
    /// The database file (e.g. Application Support/OfflineCash/wallet.db).
    public let database: URL

    public init(database: URL) {
        self.database = database
    }

    /// The SQLite companions of the database, in a fixed order.
    public static let companionSuffixes = ["-wal", "-shm", "-journal"]

    /// The database and its companion files (whether or not they exist yet).
    public var files: [URL] {
        [database] + Self.companionSuffixes.map { URL(fileURLWithPath: database.path + $0) }
    }

    /// Everything to mark excluded from backup: the directory holding the database, then
    /// `files`. Give the wallet a directory of its own: the exclusion covers all of it.
    public var backupExcluded: [URL] {
        [database.deletingLastPathComponent()] + files
    }

    /// Where `setAside` moves a file of a database whose key is gone, stamped with `stamp`
    /// (e.g. Unix seconds): `wallet.db` → `wallet.db.orphaned-<stamp>`, companions likewise.
    public func setAsideURL(for file: URL, stamp: UInt64) -> URL {
        URL(fileURLWithPath: file.path + ".orphaned-\(stamp)")
    }

    /// Moves the database and its existing companions aside (kept for support and for
    /// settlement by the issuer; a wallet never deletes its database).
    public func setAside(stamp: UInt64, fileManager: FileManager = .default) throws {
        for file in files where fileManager.fileExists(atPath: file.path) {
            try fileManager.moveItem(at: file, to: setAsideURL(for: file, stamp: stamp))
        }
    }

    /// Whether the database file exists.
    public func databaseExists(fileManager: FileManager = .default) -> Bool {
        fileManager.fileExists(atPath: database.path)
    }

    #if canImport(Darwin)
    /// Marks the directory and every existing file excluded from iCloud and computer backups
    /// (`isExcludedFromBackup`). Call it after every open: a file SQLite recreated has lost
    /// the attribute (the directory's exclusion still covers it).
    public func excludeFromBackup(fileManager: FileManager = .default) throws {
        for url in backupExcluded where fileManager.fileExists(atPath: url.path) {
            var values = URLResourceValues()
            values.isExcludedFromBackup = true
            var target = url
            try target.setResourceValues(values)
        }
    }
    #endif
}
