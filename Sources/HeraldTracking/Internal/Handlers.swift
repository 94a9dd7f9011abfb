import HeraldCore
import Hummingbird
import NIOCore

/// The request handlers of ``TrackingEndpoint``.
struct Handlers: Sendable {
    let endpoint: TrackingEndpoint

    private static let pixelBuffer = ByteBuffer(bytes: TrackingEndpoint.pixel)
    static let noCache = "no-cache, no-store, must-revalidate"
    static let notFoundText = "not found\n"

    /// The route of opens that ``OpenPixelChannelHandler`` leaves to Hummingbird (those
    /// arriving while a request of the same connection is in progress).
    func open(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        guard let (message, action) = verified(context), action == .open else { return Self.notFound }
        let agent = request.headers[.userAgent] ?? ""
        let event = TrackingEvent(
            deliveryID: message.deliveryID, sequence: message.sequence, time: endpoint.now(),
            kind: .open(userAgent: agent, machine: MachineOpenRule.isMachineUserAgent(agent))
        )
        guard try await endpoint.recorder.record(event) == .recorded else { return Self.notFound }
        return Response(
            status: .ok,
            headers: [.contentType: "image/gif", .cacheControl: Self.noCache, .expires: "0"],
            body: ResponseBody(byteBuffer: Self.pixelBuffer)
        )
    }

    func click(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        guard let (id, action) = verified(context), case .click(let index) = action else { return Self.notFound }
        guard let message = try await endpoint.store.trackedMessage(deliveryID: id.deliveryID, sequence: id.sequence),
              let url = try await endpoint.links.url(index: index, message: message)
        else { return Self.notFound }
        let event = TrackingEvent(
            deliveryID: id.deliveryID, sequence: id.sequence, time: endpoint.now(),
            kind: .click(linkIndex: index, url: url, userAgent: request.headers[.userAgent] ?? "")
        )
        guard try await endpoint.recorder.record(event) == .recorded else { return Self.notFound }
        return Response(status: .found, headers: [.location: url, .cacheControl: Self.noCache])
    }

    func unsubscribePage(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        guard let (id, action) = verified(context), action == .unsubscribe,
              try await endpoint.store.trackedMessage(deliveryID: id.deliveryID, sequence: id.sequence) != nil
        else { return Self.notFound }
        // The form posts to this same URL (a relative action keeps any path prefix of a proxy).
        let html = """
            <!doctype html>
            <html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
            <title>Unsubscribe</title></head>
            <body style="font-family:sans-serif;max-width:32em;margin:3em auto">
            <h1>Unsubscribe</h1>
            <p>Stop receiving these emails?</p>
            <form method="post" action="">
            <input type="hidden" name="List-Unsubscribe" value="One-Click">
            <button type="submit">Unsubscribe</button>
            </form>
            </body></html>
            """
        return Self.html(html)
    }

    func unsubscribe(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        guard let (id, action) = verified(context), action == .unsubscribe else { return Self.notFound }
        let body = try await request.body.collect(upTo: 4096)
        let oneClick = String(buffer: body).contains("List-Unsubscribe=One-Click")
        let event = TrackingEvent(
            deliveryID: id.deliveryID, sequence: id.sequence, time: endpoint.now(),
            kind: .unsubscribe(method: oneClick ? "one-click" : "link")
        )
        guard try await endpoint.recorder.record(event) == .recorded else { return Self.notFound }
        return Self.html("""
            <!doctype html>
            <html><head><meta charset="utf-8"><title>Unsubscribed</title></head>
            <body style="font-family:sans-serif;max-width:32em;margin:3em auto">
            <h1>You are unsubscribed</h1><p>You will not receive these emails any more.</p>
            </body></html>
            """)
    }

    // MARK: Helpers

    private func verified(_ context: BasicRequestContext) -> ((deliveryID: String, sequence: Int), TrackingAction)? {
        guard let token = context.parameters.get("token"),
              let (trackingID, action) = endpoint.tokens.verify(token),
              let id = TrackingEvent.parseTrackingID(trackingID)
        else { return nil }
        return (id, action)
    }

    private static var notFound: Response {
        Response(
            status: .notFound,
            headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: noCache],
            body: ResponseBody(byteBuffer: ByteBuffer(string: notFoundText))
        )
    }

    private static func html(_ text: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: noCache],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }
}
