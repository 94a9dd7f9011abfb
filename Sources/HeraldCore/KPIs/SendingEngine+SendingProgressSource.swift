/// The engine's `progress(deliveryID:)` is what the KPI board polls.
extension SendingEngine: SendingProgressSource {}
