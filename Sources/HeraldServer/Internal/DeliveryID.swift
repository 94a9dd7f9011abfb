import HeraldCore

/// Server-assigned delivery ids that sort newest first.
///
/// `dlv_` + 12 Crockford base32 digits of (2^60 − 1 − microseconds since the epoch) +
/// 6 random digits: the stores list by id ascending, so a listing shows the newest
/// delivery first (as ListDeliveries promises) and the order is stable.
enum DeliveryID {
    private static let digits = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)

    static func make(at time: Timestamp) -> String {
        let inverted = UInt64((1 << 60) - 1) &- UInt64(clamping: max(0, time.microsecondsSinceEpoch))
        var text = "dlv_"
        for shift in stride(from: 55, through: 0, by: -5) {
            text.unicodeScalars.append(Unicode.Scalar(digits[Int((inverted >> UInt64(shift)) & 31)]))
        }
        var random = UInt64.random(in: 0..<(1 << 30))
        for _ in 0..<6 {
            text.unicodeScalars.append(Unicode.Scalar(digits[Int(random & 31)]))
            random >>= 5
        }
        return text
    }
}
