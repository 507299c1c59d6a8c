/// Android devices without a recorded enrollment are refused `enrollment_unknown` under
/// intune-2025: safe, but never silent. What an import and a plan say about them, and how
/// to give the enrollment (DESIGN.md, "Android enrollment from Graph").
public enum EnrollmentNotice {
    static let howToGive = "give it in the devices CSV's enrollment column ("
        + Enrollment.allCases.map(\.rawValue).joined(separator: ", ")
        + "), or import from Graph with `mdmbatch import devices --from-graph --graph-beta-fields`"

    /// After a devices import; nil when every Android device's enrollment is known.
    public static func afterImport(_ count: Int) -> String? {
        guard count > 0 else { return nil }
        return "\(count) Android device\(count == 1 ? " has" : "s have") no known enrollment: intune-2025 refuses "
            + "\(count == 1 ? "it" : "them") (enrollment_unknown); \(howToGive)"
    }

    /// Under a plan's counts, when some elements were refused for it.
    static func refused(_ count: Int) -> String {
        "\(count) element\(count == 1 ? " was" : "s were") refused enrollment_unknown (Android without a known enrollment): "
            + howToGive
    }
}
