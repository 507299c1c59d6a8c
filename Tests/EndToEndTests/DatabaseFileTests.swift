import Foundation
import Testing

/// The database file: only import and run create one; another program's, or a newer
/// mdmbatch's, is refused and left as it was; an older schema is migrated (issue 14, items 4–6).
@Suite("The database file: created only by import and run, foreign ones refused, older ones migrated (the built binary)")
struct DatabaseFileTests {
    @Test("only import and run create a database: the other commands exit 66 on a missing one and create nothing",
          arguments: [["status"], ["report", "run-x"], ["plan", "b.csv"], ["confirm", "run-x"], ["audit", "verify"], ["audit", "export"]])
    func readersCreateNothing(arguments: [String]) throws {
        let cli = try CLIHarness()
        try cli.write("b.csv", "action,target\nlock,d-1\n")
        let typo = cli.path("typo.sqlite")
        let result = try cli.run(arguments + ["--db", typo], db: false)
        #expect(result.status == 66, "\(result)")
        #expect(result.stderr.contains("typo.sqlite: no such database"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: typo))
        #expect(try cli.run(["rules"], db: false).status == 0, "rules needs no database")
    }

    @Test("a SQLite file that is not mdmbatch's, or one from a newer mdmbatch, is refused (65) and left byte for byte")
    func foreignDatabases() throws {
        let cli = try CLIHarness()
        let other = cli.path("other.db")
        _ = try CLIHarness.execute(URL(fileURLWithPath: "/usr/bin/env"), ["sqlite3", other, "CREATE TABLE notes (x); INSERT INTO notes VALUES (1)"],
                                   in: cli.directory)
        let before = try Data(contentsOf: URL(fileURLWithPath: other))
        for command in [["status"], ["import", "devices", cli.sample("devices.csv")], ["audit", "verify"]] {
            let result = try cli.run(command + ["--db", other], db: false)
            #expect(result.status == 65 && result.stderr.contains("other.db: not an mdmbatch database"), "\(command): \(result)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: other)) == before)
        let text = try cli.write("text.db", "not a database at all\n")
        #expect(try cli.run(["status", "--db", text], db: false).status == 65)

        #expect(try cli.run(["import", "devices", cli.sample("devices.csv"), "--quiet"]).status == 0)
        _ = try cli.sql("INSERT INTO grdb_migrations VALUES ('v9999_future')")
        let newer = try cli.run(["status"])
        #expect(newer.status == 65 && newer.stderr.contains("written by a newer mdmbatch"), "\(newer)")
    }

    @Test("an mdmbatch database of an older schema is migrated when opened")
    func olderSchemaMigrated() throws {
        let cli = try CLIHarness()
        #expect(try cli.run(["import", "devices", cli.sample("devices.csv"), "--quiet"]).status == 0)
        // back to the first round's schema: v0005 undone (its columns dropped), v0004 forgotten
        _ = try cli.sql("""
            DELETE FROM grdb_migrations WHERE identifier = 'v0005_secrets_device_state';
            DROP INDEX dispatches_mac_locks; DROP INDEX dispatches_request; DROP INDEX audit_log_checkpoints;
            ALTER TABLE dispatches DROP COLUMN secret; ALTER TABLE dispatches DROP COLUMN secret_delivered_at;
            ALTER TABLE dispatches DROP COLUMN device_state; ALTER TABLE dispatches DROP COLUMN device_state_at;
            ALTER TABLE runs DROP COLUMN rule_set;
            CREATE INDEX dispatches_request ON dispatches(request_id, state) WHERE request_id IS NOT NULL;
            """)
        #expect(try cli.run(["status"]).status == 0)
        #expect(try cli.sql("SELECT count(*) FROM grdb_migrations WHERE identifier = 'v0005_secrets_device_state'") == "1")
        #expect(try cli.sql("SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'rule_set'") == "1")
    }
}
