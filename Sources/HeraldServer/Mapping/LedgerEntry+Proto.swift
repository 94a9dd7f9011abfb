import HeraldCore
import HeraldProtos

extension LedgerEntry {
    /// This row as ListMessages returns it, with its stable `Message-ID`.
    func proto(messageID: String) -> Herald_V1_DeliveryMessage {
        var proto = Herald_V1_DeliveryMessage()
        proto.deliveryId = message.deliveryID
        proto.profileId = message.profileID
        proto.address = message.address
        proto.status = message.status.proto
        proto.failureReason = failureReason?.proto ?? .unspecified
        proto.replyText = replyText
        proto.attempts = Int32(clamping: attempts)
        proto.lastAttemptTime = lastAttemptTime?.proto
        proto.nextAttemptTime = message.status == .pending ? nextAttemptTime?.proto : nil
        proto.sentTime = sentTime?.proto
        proto.messageId = messageID
        return proto
    }
}

extension PreparedMessage.Status {
    /// This status as the API returns it.
    var proto: Herald_V1_MessageStatus {
        switch self {
        case .pending: .pending
        case .sent: .sent
        case .failed: .failed
        case .cancelled: .cancelled
        }
    }

    /// The status a filter names; `nil` for UNSPECIFIED.
    ///
    /// - Throws: ``HeraldError/Code/invalidArgument`` for an unknown value.
    static func filter(proto: Herald_V1_MessageStatus, field: String) throws(HeraldError) -> PreparedMessage.Status? {
        switch proto {
        case .unspecified: nil
        case .pending: .pending
        case .sent: .sent
        case .failed: .failed
        case .cancelled: .cancelled
        case .unrecognized(let value): throw .invalidArgument("\(field): unknown message status \(value)")
        }
    }
}

extension MessageFailureReason {
    /// This reason as the API returns it.
    var proto: Herald_V1_FailureReason {
        switch self {
        case .userUnknown: .userUnknown
        case .invalidDomain: .invalidDomain
        case .mailboxFull: .mailboxFull
        case .refused: .refused
        case .unreachable: .unreachable
        case .expired: .expired
        case .rejectedContent: .rejectedContent
        case .transientExhausted: .transientExhausted
        case .quarantined: .quarantined
        case .other: .other
        }
    }
}
