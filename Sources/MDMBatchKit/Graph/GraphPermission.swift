/// The application permissions (admin-consented) each Graph call needs: a 403 names the one
/// the refused call needed.
public enum GraphPermission {
    /// `remoteLock`, `resetPasscode`.
    public static let sendActions = "DeviceManagementManagedDevices.PrivilegedOperations.All"
    /// Devices and their `deviceActionResults`.
    public static let readDevices = "DeviceManagementManagedDevices.Read.All"
    /// `/users`.
    public static let readUsers = "User.Read.All"

    /// What reading a collection needs: `/users` needs User.Read.All, the rest device reads.
    public static func toRead(path: String) -> String {
        path.hasPrefix("/users") || path.hasPrefix("users") ? readUsers : readDevices
    }
}
