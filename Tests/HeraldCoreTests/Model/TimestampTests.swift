import HeraldCore
import Testing

@Suite("Timestamp")
struct TimestampTests {
    @Test(
        "RFC 3339 parsing",
        arguments: [
            ("1970-01-01T00:00:00Z", Int64(0)),
            ("2024-05-01T12:00:00Z", Int64(1_714_564_800_000_000)),
            ("2024-05-01", Int64(1_714_521_600_000_000)),
            ("2024-05-01T14:00:00+02:00", Int64(1_714_564_800_000_000)),
            ("2024-05-01t12:00:00.25z", Int64(1_714_564_800_250_000)),
            ("2024-05-01 12:00:00.000001Z", Int64(1_714_564_800_000_001)),
            ("1969-12-31T23:59:59Z", Int64(-1_000_000)),
            ("2000-02-29T00:00:00Z", Int64(951_782_400_000_000)),
        ]
    )
    func parse(text: String, micros: Int64) throws {
        let time = try #require(Timestamp(rfc3339: text))
        #expect(time.microsecondsSinceEpoch == micros)
    }

    @Test(
        "invalid RFC 3339 texts are refused",
        arguments: ["", "2024", "2024-13-01", "2023-02-29", "2024-05-01T25:00:00Z", "2024-05-01T12:00:00",
                    "2024-05-01T12:00:00.Z", "2024-05-01T12:00Z", "2024-05-01T12:00:00Zjunk", "yesterday"]
    )
    func invalid(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test("formatting round-trips", arguments: [Int64(0), 1_714_564_800_250_000, -1_000_001, 253_402_300_799_999_999])
    func roundTrip(micros: Int64) throws {
        let time = Timestamp(microsecondsSinceEpoch: micros)
        #expect(Timestamp(rfc3339: time.rfc3339) == time)
    }

    @Test("seconds and nanoseconds")
    func secondsAndNanos() {
        let t = Timestamp(microsecondsSinceEpoch: -1_500_000)
        #expect(t.seconds == -2)
        #expect(t.nanoseconds == 500_000_000)
        #expect(Timestamp(seconds: t.seconds, nanoseconds: t.nanoseconds) == t)
        #expect(Timestamp(microsecondsSinceEpoch: 1_714_564_800_250_000).rfc3339 == "2024-05-01T12:00:00.25Z")
    }
}
