import Foundation
import HeraldProtos

/// Shows KpiUpdate messages: JSON lines, a dashboard redrawn in place on a terminal (one
/// block per delivery: Delivered, Opens and Clicks with their rates and bars, throughput,
/// state), or plain lines. Lines are written straight to the standard output's file
/// descriptor (not through `print`'s buffer), so a reader of a piped `--watch` gets each
/// update as it comes.
final class KPIView {
    private let json: Bool
    private let live: LiveView?
    private var latest: [String: Herald_V1_KpiUpdate] = [:]
    private var order: [String] = []
    private let footer: () -> String

    /// A view printing JSON lines when `json`, redrawing in place when `interactive`
    /// (a terminal), plain lines otherwise. `footer` gives the text after the update
    /// time on the redrawn block's last line.
    init(json: Bool, interactive: Bool, footer: @escaping () -> String = { "(Ctrl-C to stop)" }) {
        self.json = json
        self.live = !json && interactive ? LiveView() : nil
        self.footer = footer
    }

    /// Shows updates once (no --watch): JSON lines, or each delivery's block.
    func showOnce(_ updates: [Herald_V1_KpiUpdate]) {
        for update in updates {
            if json {
                Self.emit(update.jsonText())
            } else {
                for line in Self.block(update) { Self.emit(line) }
            }
        }
    }

    /// Shows one update of a watch.
    func show(_ update: Herald_V1_KpiUpdate) {
        if json {
            Self.emit(update.jsonText())
            return
        }
        guard let live else {
            Self.emit(Self.line(update))
            return
        }
        if latest.updateValue(update, forKey: update.deliveryId) == nil { order.append(update.deliveryId) }
        var block: [String] = []
        for id in order {
            guard let update = latest[id] else { continue }
            if !block.isEmpty { block.append("") }
            block += Self.block(update)
        }
        block.append(Terminal.styled("updated \(Output.time(update.updateTime))  " + footer(), .dim))
        live.update(block: block)
    }

    /// Writes one line to the standard output now.
    private static func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// One plain line: state, delivered, opens, clicks, failed, pending, throughput.
    static func line(_ update: Herald_V1_KpiUpdate) -> String {
        let kpis = update.kpis ?? Herald_V1_DeliveryKpis()
        let state = Output.shortName(update.state, prefix: "DELIVERY_STATE_")
        return "\(update.deliveryId) \(state)  delivered \(kpis.delivered)/\(kpis.toDeliver) (\(percent(kpis.deliveryRateToDeliver)))"
            + "  opens \(kpis.opens) (\(percent(kpis.openRate)))  clicks \(kpis.clicks) (\(percent(kpis.clickRate)))"
            + "  failed \(kpis.failed)  pending \(kpis.pending)  " + String(format: "%.1f msg/s", kpis.throughput)
    }

    /// The lines of one delivery's block.
    static func block(_ update: Herald_V1_KpiUpdate) -> [String] {
        let kpis = update.kpis ?? Herald_V1_DeliveryKpis()
        let state = Output.shortName(update.state, prefix: "DELIVERY_STATE_")
        let styledState = Terminal.styled(state, Herald_V1_Delivery.stateStyle(state) ?? .bold)
        return [
            Terminal.styled(update.deliveryId, .bold) + "  " + styledState + "  "
                + String(format: "%.1f msg/s", kpis.throughput) + Terminal.styled("  targeted \(kpis.targeted)  to deliver \(kpis.toDeliver)", .dim),
            row("Delivered", kpis.deliveryRateToDeliver, "\(kpis.delivered)/\(kpis.toDeliver)",
                "sent \(kpis.sent)  failed \(kpis.failed)  pending \(kpis.pending)  cancelled \(kpis.cancelled)"),
            row("Opens", kpis.openRate, "\(kpis.opens)", "total \(kpis.totalOpens)  machine \(kpis.machineOpens)"),
            row("Clicks", kpis.clickRate, "\(kpis.clicks)", "total \(kpis.totalClicks)  unsubscribes \(kpis.unsubscribes)"),
        ]
    }

    private static func row(_ name: String, _ rate: Double, _ count: String, _ detail: String) -> String {
        name.padding(toLength: 10, withPad: " ", startingAt: 0) + LiveView.bar(rate, width: 20) + " "
            + percent(rate).leftPadded(6) + "  " + count + Terminal.styled("  " + detail, .dim)
    }

    /// A rate as a percentage with one decimal, e.g. `42.5%`.
    static func percent(_ rate: Double) -> String {
        String(format: "%.1f%%", rate * 100)
    }
}
