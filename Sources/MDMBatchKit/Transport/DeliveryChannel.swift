import Foundation

/// The delivery channel of a platform: how the service reaches the device.
public enum DeliveryChannel: String, Sendable, Codable {
    case apns = "APNs", fcm = "FCM", wns = "WNS", eas = "EAS"

    /// Exchange-managed devices are reached through EAS; the others through their
    /// platform's push service.
    public static func of(platform: PlatformID, management: Management?) -> DeliveryChannel {
        if management == .eas { return .eas }
        switch platform.family {
        case .apple: return .apns
        case .android: return .fcm
        case .windows, .other: return .wns
        }
    }
}
