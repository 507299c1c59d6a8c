/// The version of mdmbatch (`mdmbatch --version`, the `User-Agent` of its requests).
public enum MDMBatchVersion {
    public static let current = "0.2.0"
}
