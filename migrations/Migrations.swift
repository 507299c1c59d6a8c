// Registers the numbered SQL files of this folder, in order. Each file is compiled
// into the binary (`.embedInCode` in Package.swift), so no resource bundle is needed.

public enum Migrations {
    /// Every migration, oldest first: (identifier, SQL).
    public static let all: [(identifier: String, sql: String)] = [
        ("v0001_init", String(decoding: PackageResources.v0001_init_sql, as: UTF8.self)),
        ("v0002_runs", String(decoding: PackageResources.v0002_runs_sql, as: UTF8.self)),
        ("v0003_audit_hash_unindexed", String(decoding: PackageResources.v0003_audit_hash_unindexed_sql, as: UTF8.self)),
        ("v0004_enrollment", String(decoding: PackageResources.v0004_enrollment_sql, as: UTF8.self)),
        ("v0005_secrets_device_state", String(decoding: PackageResources.v0005_secrets_device_state_sql, as: UTF8.self)),
        ("v0006_devices_checks", String(decoding: PackageResources.v0006_devices_checks_sql, as: UTF8.self)),
        ("v0007_settle_wait", String(decoding: PackageResources.v0007_settle_wait_sql, as: UTF8.self)),
        ("v0008_run_service", String(decoding: PackageResources.v0008_run_service_sql, as: UTF8.self)),
        ("v0009_secret_claims", String(decoding: PackageResources.v0009_secret_claims_sql, as: UTF8.self)),
        ("v0010_tenants", String(decoding: PackageResources.v0010_tenants_sql, as: UTF8.self)),
    ]
}
