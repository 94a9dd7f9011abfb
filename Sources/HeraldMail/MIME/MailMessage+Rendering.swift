extension MailMessage {
    /// The message as RFC 5322 bytes with CRLF line ends, ready for SMTP `DATA` (before
    /// dot-stuffing, which the SMTP session does): ``MailComposer``'s output.
    ///
    /// Headers: `Date`, `From`, `To`, `Reply-To`, `Subject`, `Message-ID`, `MIME-Version`,
    /// `List-Unsubscribe` and `List-Unsubscribe-Post`, the extra headers, then a
    /// `multipart/alternative` body with the text part first and the HTML part last.
    /// Each body is quoted-printable, or base64 when that is shorter. No line is longer
    /// than 998 octets (header lines aim for 78, body lines are at most 76), given
    /// addresses, URLs and header names of sane length.
    public func rendered() -> [UInt8] {
        MailComposer(from: from, replyTo: replyTo, extraHeaders: extraHeaders).render(
            to: to, subject: subject, htmlBody: htmlBody, textBody: textBody, messageID: messageID, date: date,
            listUnsubscribe: listUnsubscribe
        )
    }
}
