/// The application permissions (admin-consented) each Graph call needs: a 403 names the one
/// the refused call needed. graph-sim grants them all unless told to deny some.
public enum GraphPermission: String, Sendable, CaseIterable {
    /// `remoteLock`, `resetPasscode`.
    case privilegedOperations = "DeviceManagementManagedDevices.PrivilegedOperations.All"
    /// Devices and their `deviceActionResults`.
    case readDevices = "DeviceManagementManagedDevices.Read.All"
    /// `/users`.
    case readUsers = "User.Read.All"

    /// What reading a collection needs: `/users` needs User.Read.All, the rest device reads.
    public static func toRead(path: String) -> GraphPermission {
        path.hasPrefix("/users") || path.hasPrefix("users") ? .readUsers : .readDevices
    }
}
