/// The stable codes of preparation log entries (``PreparationLogEntry/code``).
public enum PreparationLogCode {
    /// ERROR: the subject is empty or blank.
    public static let emptySubject = "EMPTY_SUBJECT"
    /// ERROR: the sender address is missing.
    public static let missingSender = "MISSING_SENDER"
    /// ERROR: the sender address is not a valid email address.
    public static let invalidSender = "INVALID_SENDER"
    /// ERROR: a template (subject, HTML or text) does not parse.
    public static let templateSyntaxError = "TEMPLATE_SYNTAX_ERROR"
    /// ERROR: a personalization field matches no profile field.
    public static let unknownField = "UNKNOWN_FIELD"
    /// ERROR: a link of the HTML body is not an absolute http(s) URL.
    public static let invalidLink = "INVALID_LINK"
    /// ERROR above 60 KB, WARNING above 35 KB: a rendered message is large.
    public static let messageTooLarge = "MESSAGE_TOO_LARGE"
    /// WARNING: the content has no `{{unsubscribe_url}}`.
    public static let noUnsubscribeLink = "NO_UNSUBSCRIBE_LINK"
    /// WARNING: no message to deliver.
    public static let emptyTarget = "EMPTY_TARGET"
    /// WARNING: a profile's message could not be personalized (cause 21).
    public static let personalizationError = "PERSONALIZATION_ERROR"
    /// ERROR: the audience filter or a filtering rule does not parse.
    public static let invalidFilter = "INVALID_FILTER"
    /// ERROR: the preparation failed on an internal or storage error.
    public static let internalError = "INTERNAL_ERROR"
    /// INFO: a phase ended.
    public static let phaseCompleted = "PHASE_COMPLETED"
    /// INFO: the preparation was stopped by request.
    public static let stopped = "PREPARATION_STOPPED"
    /// INFO: the preparation was interrupted by a restart of the service.
    public static let interrupted = "PREPARATION_INTERRUPTED"
    /// INFO, WARNING or ERROR: the last entry, summing up the errors and warnings.
    public static let summary = "PREPARATION_SUMMARY"
}
