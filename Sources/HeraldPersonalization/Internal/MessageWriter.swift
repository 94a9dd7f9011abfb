import HeraldCore

/// Renders ``TemplateProgram``s for one message into byte buffers, with the lookup rules
/// of swift-mustache over ``MessageContext`` (context stack, dotted names, truthiness)
/// on typed values instead of `Any`.
struct MessageWriter {
    /// What a name resolves to.
    enum Value {
        /// ``MessageContext`` itself.
        case root
        /// `attributes`.
        case attributes
        /// `tags` (never empty: an empty list resolves to nothing).
        case tags
        /// A string (``TextValue``), false in a section when `isNull`.
        case text(String, isNull: Bool)
        /// A tracking URL of the message (never empty).
        case url(TrackingAction)
    }

    /// The values a program cannot print as swift-mustache does (it would print them
    /// with `String(describing:)`): the message is rendered by the reference path.
    struct NeedsReference: Error {}

    let trackingID: String
    let urls: TrackingURLs
    /// The context stack above its bottom frame, the root (kept implicit: most messages
    /// open no section, and an empty array allocates nothing).
    private var stack: [Value] = []
    /// How many frames of ``stack`` can have children (root or attributes): while none,
    /// names resolve against the root directly.
    private var parents = 0
    /// The percent-encoded tracking id, made on first use.
    private var encodedID: [UInt8]?
    /// The length of the percent-encoded tracking id, computed on first use (measuring
    /// needs no bytes).
    private var encodedIDLength: Int?
    /// The buffer signed URLs are made in, reused for each URL of the message.
    private var urlScratch: [UInt8] = []

    /// A writer for the message with this tracking id; the profile is passed to each
    /// ``write(_:_:to:)`` (borrowed, not copied into the writer).
    init(trackingID: String, urls: TrackingURLs) {
        self.trackingID = trackingID
        self.urls = urls
    }

    /// Appends the rendering of `program` for `profile` to `out`.
    mutating func write(_ program: TemplateProgram, _ profile: Profile, to out: inout some ByteSink) throws(NeedsReference) {
        try program.literals.withUnsafeBufferPointer { literals throws(NeedsReference) in
            try program.nodes.withUnsafeBufferPointer { nodes throws(NeedsReference) in
                try write(0..<nodes.count, nodes, literals, program, profile, to: &out)
            }
        }
    }

    private mutating func write(
        _ range: Range<Int>, _ nodes: UnsafeBufferPointer<TemplateProgram.Node>, _ literals: UnsafeBufferPointer<UInt8>,
        _ program: TemplateProgram, _ profile: Profile, to out: inout some ByteSink
    ) throws(NeedsReference) {
        var i = range.lowerBound
        while i < range.upperBound {
            switch nodes[i] {
            case .literal(let bytes):
                out.write(UnsafeBufferPointer(rebasing: literals[bytes]))
                i += 1
            case .variable(let ref, let escape):
                i += 1
                guard let value = resolve(ref, program, profile) else { continue }
                switch value {
                case .text(let text, _):
                    if escape { HTMLEscaping.append(text, to: &out) } else { out.write(text) }
                case .url(let action):
                    writeURL(action, escape: escape, to: &out)
                case .root, .attributes, .tags:
                    throw NeedsReference()
                }
            case .section(let ref, let inverted, let body):
                i = body.upperBound
                let value = resolve(ref, program, profile)
                if inverted {
                    switch value {
                    case nil, .text(_, isNull: true)?: try write(body, nodes, literals, program, profile, to: &out)
                    default: break
                    }
                    continue
                }
                switch value {
                case nil, .text(_, isNull: true)?:
                    break
                case .tags?:
                    for tag in profile.tags {
                        stack.append(.text(tag, isNull: tag.isEmpty))
                        try write(body, nodes, literals, program, profile, to: &out)
                        stack.removeLast()
                    }
                case let value?:
                    let isParent: Bool
                    switch value {
                    case .root, .attributes: isParent = true
                    default: isParent = false
                    }
                    if isParent { parents += 1 }
                    stack.append(value)
                    try write(body, nodes, literals, program, profile, to: &out)
                    stack.removeLast()
                    if isParent { parents -= 1 }
                }
            }
        }
    }

    /// swift-mustache's `getChild`: `.` is the top of the stack; the first component is
    /// looked up from the top of the stack down, the others in what it found.
    private func resolve(_ ref: Int, _ program: TemplateProgram, _ profile: Profile) -> Value? {
        if parents == 0 {
            // Only the root has children: resolve against it directly.
            switch program.shapes[ref] {
            case .current: return stack.last ?? .root
            case .root(let field): return rootChild(field, profile)
            case .attribute(let key): return attribute(program.attributeKeys[key], profile)
            case .general: break
            }
        }
        let path = program.references[ref].path
        guard let first = path.first else { return stack.last ?? .root }
        var index = stack.count - 1
        while index >= -1 {
            if var value = child(first, of: index >= 0 ? stack[index] : .root, profile) {
                for name in path.dropFirst() {
                    guard let next = child(name, of: value, profile) else { return nil }
                    value = next
                }
                return value
            }
            index -= 1
        }
        return nil
    }

    private func attribute(_ key: String, _ profile: Profile) -> Value? {
        guard let text = profile.attributes[key] else { return nil }
        return .text(text, isNull: text.isEmpty || text == "false" || text == "0")
    }

    private func rootChild(_ field: TemplateProgram.RootField, _ profile: Profile) -> Value? {
        switch field {
        case .id: return Self.text(profile.id)
        case .email: return Self.text(profile.email)
        case .firstName: return Self.text(profile.firstName)
        case .lastName: return Self.text(profile.lastName)
        case .locale: return Self.text(profile.locale)
        case .timeZone: return Self.text(profile.timeZone)
        case .subscription: return Self.text(profile.subscription.rawValue)
        case .tags: return profile.tags.isEmpty ? nil : .tags
        case .attributes: return .attributes
        case .unsubscribeURL: return .url(.unsubscribe)
        case .viewID: return Self.text(trackingID)
        case .openPixel: return .url(.open)
        case .click(let index): return .url(.click(index: index))
        }
    }

    /// ``MessageContext/child(named:)``, ``AttributesValue`` and ``TextValue``'s children.
    private func child(_ name: TemplateProgram.Name, of value: Value, _ profile: Profile) -> Value? {
        switch value {
        case .root: return name.root.flatMap { rootChild($0, profile) }
        case .attributes: return attribute(name.text, profile)
        case .tags, .text, .url: return nil
        }
    }

    private static func text(_ value: String) -> Value { .text(value, isNull: value.isEmpty) }

    private mutating func writeURL<Sink: ByteSink>(_ action: TrackingAction, escape: Bool, to out: inout Sink) {
        if urls.isUnsigned {
            // Measuring only: the length of the URL, without its bytes.
            if Sink.measures && !(escape && urls.baseNeedsEscaping) {
                if encodedIDLength == nil { encodedIDLength = TrackingURLs.percentEncodedLength(trackingID) }
                if out.measureOnly(urls.unsignedLength(action, encodedIDLength: encodedIDLength ?? 0)) { return }
            }
            if encodedID == nil { encodedID = TrackingURLs.percentEncoded(trackingID) }
            if escape && urls.baseNeedsEscaping {
                var raw: [UInt8] = []
                urls.appendUnsigned(action, encodedID: encodedID!, to: &raw)
                raw.withUnsafeBufferPointer { HTMLEscaping.append($0, to: &out) }
            } else {
                urls.appendUnsigned(action, encodedID: encodedID!, to: &out)
            }
        } else {
            // Measuring only (the preparation's size check): the length without the MAC.
            if Sink.measures && !(escape && urls.baseNeedsEscaping), let length = urls.signedLength(action, trackingID: trackingID),
               out.measureOnly(length) {
                return
            }
            urlScratch.removeAll(keepingCapacity: true)
            urls.appendSigned(action, trackingID: trackingID, to: &urlScratch)
            if escape {
                urlScratch.withUnsafeBufferPointer { HTMLEscaping.append($0, to: &out) }
            } else {
                out.write(urlScratch)
            }
        }
    }
}
