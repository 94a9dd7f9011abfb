#!/usr/bin/env python3
"""protoc plugin: Herald's Swift value types over protobuf-c.

Run by scripts/generate as `protoc --plugin=protoc-gen-heraldswift=<this file>`. For every
file to generate it writes `<module dir>/<file path with / as _>.pb.swift` holding:
  - public value types (structs, enums, service method tables) with SwiftProtobuf-like
    names (`Grpc_Health_V1_HealthCheckRequest`, nested `Outer.Inner`),
  - internal conversion to and from the protobuf-c structs that protoc-c generates
    (`_heraldFill(_:_:)` and `init(_heraldC:)`), so encoding and decoding run in C.
It also writes, when asked, `ProtoReflectionData.swift` (descriptor bytes and symbols for
server reflection) and, for the test target, `Arbitrary<...>.swift` (a random-value
generator per message plus the list of every message type).

Parameters (comma separated key=value):
  swift_dir=PATH      where the module's generated Swift goes (relative to --heraldswift_out)
  test_dir=PATH       where the test target's generated Swift goes (optional)
  module=NAME         the Swift module (HeraldProtos)
  c_module=NAME       the protoc-c C module it imports (CHeraldProtos)
  runtime_module=NAME the module holding ProtobufMessage etc. when it is not `module`
  protoset=PATH       descriptor set written by protoc (`--include_imports`): the exact
                      FileDescriptorProto bytes embedded in ProtoReflectionData
  reflection=0|1      emit ProtoReflectionData.swift (default 1)
  list_name=NAME      name of the generated list of message types in the test target

Everything is emitted in a fixed order (files by name, declarations in proto order) with
no timestamps or absolute paths, so the output is reproducible.

Limits, by design of protobuf-c 1.4.1:
  - strings are `char *` packed with strlen(): a Swift String is cut at its first NUL
    (U+0000) when encoded, and a received string is read up to its first NUL.
  - proto2 files, groups and extensions are not supported (the set is proto3 only).
"""
import base64
import sys

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2

F = descriptor_pb2.FieldDescriptorProto

SWIFT_KEYWORDS = {
    "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func",
    "import", "init", "inout", "internal", "let", "open", "operator", "private",
    "precedencegroup", "protocol", "public", "rethrows", "static", "struct", "subscript",
    "typealias", "var", "break", "case", "catch", "continue", "default", "defer", "do",
    "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return", "throw",
    "switch", "where", "while", "Any", "as", "await", "false", "is", "nil", "self",
    "Self", "super", "throws", "true", "try", "_", "consume", "copy", "borrowing",
    "consuming", "discard", "some", "any", "package", "macro", "each", "then",
}
# Member names a generated property may not take: `_p` is appended (as SwiftProtobuf does).
RESERVED_MEMBERS = {
    "serializedBytes", "protoMessageName", "hashValue", "hash", "init", "self", "Type",
    "Protocol", "debugDescription", "description",
}
RESERVED_TYPE_NAMES = {"Type", "Protocol", "Self", "Any", "String", "Int", "Bool", "Array",
                       "Dictionary", "Optional", "Error"}
RESERVED_ENUM_CASES = {"rawValue", "allCases", "hashValue", "init", "unrecognized", "self",
                       "Type", "Protocol"}

C_KEYWORDS = {
    "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch",
    "char", "class", "compl", "const", "const_cast", "continue", "default", "delete", "do",
    "double", "dynamic_cast", "else", "enum", "explicit", "extern", "false", "float", "for",
    "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new", "not",
    "not_eq", "operator", "or", "or_eq", "private", "protected", "public", "register",
    "reinterpret_cast", "return", "short", "signed", "sizeof", "static", "static_cast",
    "struct", "switch", "template", "this", "throw", "true", "try", "typedef", "typeid",
    "typename", "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t",
    "while", "xor", "xor_eq",
}

SCALAR_SWIFT = {
    F.TYPE_DOUBLE: "Double", F.TYPE_FLOAT: "Float",
    F.TYPE_INT64: "Int64", F.TYPE_SFIXED64: "Int64", F.TYPE_SINT64: "Int64",
    F.TYPE_UINT64: "UInt64", F.TYPE_FIXED64: "UInt64",
    F.TYPE_INT32: "Int32", F.TYPE_SFIXED32: "Int32", F.TYPE_SINT32: "Int32",
    F.TYPE_UINT32: "UInt32", F.TYPE_FIXED32: "UInt32",
    F.TYPE_BOOL: "Bool", F.TYPE_STRING: "String", F.TYPE_BYTES: "[UInt8]",
}
SCALAR_DEFAULT = {
    "Double": "0", "Float": "0", "Int64": "0", "UInt64": "0", "Int32": "0", "UInt32": "0",
    "Bool": "false", "String": '""', "[UInt8]": "[]",
}
# Swift types whose C representation is the identical fixed-width type (memcpy-able).
SAME_LAYOUT = {"Double", "Float", "Int64", "UInt64", "Int32", "UInt32"}


# --------------------------------------------------------------------------- naming

def c_camel(piece):
    """protoc-c ToCamel: drop underscores, upper-case the letter after each."""
    out, upper = [], True
    for ch in piece:
        if ch == "_":
            upper = True
        elif upper:
            out.append(ch.upper())
            upper = False
        else:
            out.append(ch)
    return "".join(out)


def c_camel_to_lower(piece):
    """protoc-c CamelToLower."""
    out, was_upper = [], True
    for ch in piece:
        is_upper = ch.isascii() and ch.isupper()
        if is_upper:
            if not was_upper:
                out.append("_")
            out.append(ch.lower())
        else:
            out.append(ch)
        was_upper = is_upper
    return "".join(out)


def c_type_name(full_name):
    return "__".join(c_camel(p) for p in full_name.split(".") if p)


def c_func_prefix(full_name):
    return "__".join(c_camel_to_lower(p) for p in full_name.split(".") if p)


def c_field_name(name):
    """protoc-c FieldName, escaped for use after `.` in Swift."""
    result = name.lower()
    if result in C_KEYWORDS:
        result += "_"
    return escape(result)


def words(name):
    """Split a proto identifier (snake_case, CamelCase or UPPER_CASE) into words."""
    result, current = [], ""
    for i, ch in enumerate(name):
        if ch == "_":
            if current:
                result.append(current)
            current = ""
            continue
        if current:
            prev = current[-1]
            nxt = name[i + 1] if i + 1 < len(name) else ""
            boundary = (
                (ch.isupper() and prev.islower())
                or (ch.isupper() and prev.isupper() and nxt.islower())
            )
            if boundary:
                result.append(current)
                current = ""
        current += ch
    if current:
        result.append(current)
    return result


def lower_camel(name):
    """`first_name` -> `firstName`, `HTTPStatus` -> `httpStatus`, `NOT_SERVING` -> `notServing`."""
    parts = words(name)
    if not parts:
        return "_"
    first = parts[0]
    out = first.lower() if first.isupper() else first[0].lower() + first[1:]
    for p in parts[1:]:
        out += p[0].upper() + (p[1:].lower() if p.isupper() else p[1:])
    if out[0].isdigit():
        out = "_" + out
    return out


def upper_camel(name):
    lc = lower_camel(name)
    return lc[0].upper() + lc[1:] if lc[0] != "_" else lc


def escape(identifier):
    return "`%s`" % identifier if identifier in SWIFT_KEYWORDS else identifier


def member_name(proto_name):
    name = lower_camel(proto_name)
    if name in RESERVED_MEMBERS:
        name += "_p"
    return name


def package_prefix(package):
    if not package:
        return ""
    return "_".join(upper_camel(p) for p in package.split(".")) + "_"


def swift_type_component(name):
    return name + "Message" if name in RESERVED_TYPE_NAMES else name


def enum_case_names(enum):
    """Case names: the UPPER_SNAKE enum-name prefix stripped, then lowerCamelCase."""
    prefix = "_".join(w.upper() for w in words(enum.name)) + "_"
    names = []
    for value in enum.value:
        raw = value.name
        if raw.startswith(prefix) and len(raw) > len(prefix) and not raw[len(prefix)].isdigit():
            raw = raw[len(prefix):]
        name = lower_camel(raw)
        if name in RESERVED_ENUM_CASES:
            name += "_"
        names.append(name)
    seen = {}
    result = []
    for name in names:
        if name in seen:
            seen[name] += 1
            name = "%s_%d" % (name, seen[name])
        else:
            seen[name] = 0
        result.append(name)
    return result


def swift_string_literal(text):
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20:
            out.append("\\u{%x}" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


# --------------------------------------------------------------------------- model

class MessageInfo:
    def __init__(self, proto, full_name, swift_name, parent, file):
        self.proto = proto
        self.full_name = full_name
        self.swift_name = swift_name
        self.parent = parent
        self.file = file
        self.c_type = c_type_name(full_name)
        self.c_prefix = c_func_prefix(full_name)
        self.is_map_entry = proto.options.map_entry


class EnumInfo:
    def __init__(self, proto, full_name, swift_name, file):
        self.proto = proto
        self.full_name = full_name
        self.swift_name = swift_name
        self.file = file
        self.c_type = c_type_name(full_name)
        self.case_names = enum_case_names(proto)
        # The first value of each number is the case; later aliases are static lets.
        self.cases = []
        self.aliases = []
        seen = {}
        for value, name in zip(proto.value, self.case_names):
            if value.number in seen:
                self.aliases.append((name, seen[value.number]))
            else:
                seen[value.number] = name
                self.cases.append((name, value.number))
        zero = [n for n, num in self.cases if num == 0]
        self.default_case = zero[0] if zero else self.cases[0][0]


class Registry:
    def __init__(self, files):
        self.messages = {}
        self.enums = {}
        for f in files:
            prefix = package_prefix(f.package)
            pkg = "." + f.package if f.package else ""
            for m in f.message_type:
                self._add_message(m, pkg, prefix + swift_type_component(m.name), None, f)
            for e in f.enum_type:
                full = pkg + "." + e.name
                self.enums[full] = EnumInfo(e, full[1:], prefix + swift_type_component(e.name), f)

    def _add_message(self, m, scope, swift_name, parent, f):
        full = scope + "." + m.name
        info = MessageInfo(m, full[1:], swift_name, parent, f)
        self.messages[full] = info
        for n in m.nested_type:
            self._add_message(n, full, swift_name + "." + swift_type_component(n.name), info, f)
        for e in m.enum_type:
            efull = full + "." + e.name
            self.enums[efull] = EnumInfo(e, efull[1:], swift_name + "." + swift_type_component(e.name), f)


def field_kind(field, registry):
    """One of: map, repeated, oneof, optional, singular."""
    if field.label == F.LABEL_REPEATED:
        if field.type == F.TYPE_MESSAGE and registry.messages[field.type_name].is_map_entry:
            return "map"
        return "repeated"
    if field.HasField("oneof_index"):
        return "optional" if field.proto3_optional else "oneof"
    return "singular"


class Recursion:
    """Finds messages on cycles of singular (non-repeated) message fields."""

    def __init__(self, registry):
        self.registry = registry
        graph = {}
        for full, info in registry.messages.items():
            graph[full] = sorted({f.type_name for f in info.proto.field
                                  if f.type == F.TYPE_MESSAGE and f.label != F.LABEL_REPEATED})
        self.scc = {}
        index, low, stack, on_stack = {}, {}, [], set()
        counter = [0]

        def visit(v):
            # Iterative Tarjan.
            work = [(v, 0)]
            while work:
                node, i = work.pop()
                if i == 0:
                    index[node] = low[node] = counter[0]
                    counter[0] += 1
                    stack.append(node)
                    on_stack.add(node)
                recurse = False
                edges = graph.get(node, [])
                for j in range(i, len(edges)):
                    w = edges[j]
                    if w not in index:
                        work.append((node, j + 1))
                        work.append((w, 0))
                        recurse = True
                        break
                    if w in on_stack:
                        low[node] = min(low[node], index[w])
                if recurse:
                    continue
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    for w in comp:
                        self.scc[w] = node
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])

        for v in sorted(graph):
            if v not in index:
                visit(v)

    def is_cyclic_edge(self, owner_full, target_full):
        return self.scc.get(owner_full) is not None and self.scc.get(owner_full) == self.scc.get(target_full)


# --------------------------------------------------------------------------- emitter

class Writer:
    def __init__(self):
        self.lines = []
        self.level = 0

    def __call__(self, text=""):
        if text:
            self.lines.append("    " * self.level + text)
        else:
            self.lines.append("")

    def indent(self):
        self.level += 1

    def dedent(self):
        self.level -= 1

    def text(self):
        return "\n".join(self.lines).rstrip() + "\n"


class Comments:
    def __init__(self, proto_file):
        self.by_path = {}
        for loc in proto_file.source_code_info.location:
            if loc.leading_comments:
                self.by_path[tuple(loc.path)] = loc.leading_comments

    def emit(self, w, path):
        text = self.by_path.get(tuple(path))
        if not text:
            return
        lines = text.rstrip("\n").split("\n")
        # Drop the single leading space protoc keeps after `//`.
        for line in lines:
            if line.startswith(" "):
                line = line[1:]
            w(("/// " + line).rstrip())


class FieldInfo:
    def __init__(self, gen, msg, field):
        self.proto = field
        self.gen = gen
        reg = gen.registry
        self.kind = field_kind(field, reg)
        self.name = escape(member_name(field.name))
        self.bare_name = member_name(field.name)
        self.c_name = c_field_name(field.name)
        self.c_count = "n_" + self.c_name.strip("`")
        self.number = field.number
        self.full_name = msg.full_name + "." + field.name
        if self.kind in ("oneof", "optional"):
            self.oneof_name = msg.proto.oneof_decl[field.oneof_index].name
        if self.kind == "map":
            entry = reg.messages[field.type_name]
            self.key = FieldInfo(gen, entry, entry.proto.field[0])
            self.value = FieldInfo(gen, entry, entry.proto.field[1])
            self.entry = entry
        self.message = reg.messages.get(field.type_name) if field.type == F.TYPE_MESSAGE else None
        self.enum = reg.enums.get(field.type_name) if field.type == F.TYPE_ENUM else None
        self.boxed = (self.kind in ("singular", "optional", "oneof") and self.message is not None
                      and gen.recursion.is_cyclic_edge("." + msg.full_name, field.type_name))

    @property
    def element_type(self):
        if self.message is not None:
            return self.message.swift_name
        if self.enum is not None:
            return self.enum.swift_name
        return SCALAR_SWIFT[self.proto.type]

    @property
    def swift_type(self):
        if self.kind == "map":
            return "[%s: %s]" % (self.key.element_type, self.value.element_type)
        if self.kind == "repeated":
            return "[%s]" % self.element_type
        if self.kind == "optional" or (self.kind == "singular" and self.message is not None):
            return self.element_type + "?"
        return self.element_type

    @property
    def default(self):
        if self.kind == "map":
            return "[:]"
        if self.kind == "repeated":
            return "[]"
        if self.kind == "optional" or self.message is not None:
            return "nil"
        if self.enum is not None:
            return "." + self.enum.default_case
        return SCALAR_DEFAULT[self.element_type]


class Generator:
    def __init__(self, request, params):
        self.request = request
        self.params = params
        self.files = {f.name: f for f in request.proto_file}
        self.registry = Registry(request.proto_file)
        self.recursion = Recursion(self.registry)
        self.module = params.get("module", "HeraldProtos")
        self.c_module = params.get("c_module", "C" + self.module)
        self.runtime_module = params.get("runtime_module", "")
        self.swift_dir = params.get("swift_dir", "Sources/%s/Generated" % self.module)
        self.test_dir = params.get("test_dir", "")
        self.list_name = params.get("list_name", "AllMessageTypes")
        self.reflection = params.get("reflection", "1") == "1"
        self.outputs = []
        for f in request.proto_file:
            if f.name in request.file_to_generate and f.syntax != "proto3":
                raise SystemExit("%s: only proto3 files are supported (syntax %r)" % (f.name, f.syntax))

    # ---------------------------------------------------------------- helpers

    def messages_of(self, f):
        out = []

        def walk(m, scope):
            full = scope + "." + m.name
            info = self.registry.messages[full]
            if not info.is_map_entry:
                out.append(info)
            for n in m.nested_type:
                walk(n, full)
        pkg = "." + f.package if f.package else ""
        for m in f.message_type:
            walk(m, pkg)
        return out

    def header(self, w, source):
        w("// DO NOT EDIT. Generated by scripts/protoc_gen_herald_swift.py from %s." % source)
        w("// Regenerate with scripts/generate.")
        w()

    # ---------------------------------------------------------------- types file

    def generate_file(self, f):
        w = Writer()
        comments = Comments(f)
        self.header(w, f.name)
        if self.runtime_module:
            w("public import %s" % self.runtime_module)
        w("internal import %s" % self.c_module)
        w()
        pkg = "." + f.package if f.package else ""
        for i, e in enumerate(f.enum_type):
            self.emit_enum(w, self.registry.enums[pkg + "." + e.name], comments, [5, i])
            w()
        for i, m in enumerate(f.message_type):
            self.emit_message(w, self.registry.messages[pkg + "." + m.name], comments, [4, i])
            w()
        for i, s in enumerate(f.service):
            self.emit_service(w, f, s, comments, [6, i])
            w()
        for info in self.messages_of(f):
            self.emit_conformance(w, info)
            w()
            self.emit_conversion(w, info)
            w()
            self.emit_json(w, info)
            w()
        name = f.name[:-len(".proto")] if f.name.endswith(".proto") else f.name
        path = "%s/%s.pb.swift" % (self.swift_dir, name.replace("/", "_"))
        self.outputs.append((path, w.text()))

    def emit_enum(self, w, info, comments, path):
        comments.emit(w, path)
        short = info.swift_name.split(".")[-1]
        w("public enum %s: Sendable, Hashable, RawRepresentable, CaseIterable, ProtoEnum {" % short)
        w.indent()
        for (name, number), value_index in zip(info.cases, [i for i, v in enumerate(info.proto.value)
                                                           if v.number not in [x.number for x in info.proto.value[:i]]]):
            comments.emit(w, path + [2, value_index])
            w("case %s // = %d" % (escape(name), number))
        w("/// A value this version of the schema does not know; kept so it round-trips.")
        w("case unrecognized(Int32)")
        w()
        for alias, target in info.aliases:
            w("public static let %s: Self = .%s" % (escape(alias), escape(target)))
        if info.aliases:
            w()
        w("public init() {")
        w("    self = .%s" % escape(info.default_case))
        w("}")
        w()
        w("public init(rawValue: Int32) {")
        w("    switch rawValue {")
        for name, number in info.cases:
            w("    case %d: self = .%s" % (number, escape(name)))
        w("    default: self = .unrecognized(rawValue)")
        w("    }")
        w("}")
        w()
        w("public var rawValue: Int32 {")
        w("    switch self {")
        for name, number in info.cases:
            w("    case .%s: %d" % (escape(name), number))
        w("    case .unrecognized(let value): value")
        w("    }")
        w("}")
        w()
        w("/// The values the schema declares (not `unrecognized`).")
        w("public static let allCases: [Self] = [%s]" % ", ".join("." + escape(n) for n, _ in info.cases))
        w()
        canonical = {}
        for value in info.proto.value:
            canonical.setdefault(value.number, value.name)
        w("/// The declared name (the first declared for aliases); nil for `unrecognized`.")
        w("public var protoName: String? {")
        w("    switch rawValue {")
        for name, number in info.cases:
            w("    case %d: %s" % (number, swift_string_literal(canonical[number])))
        w("    default: nil")
        w("    }")
        w("}")
        w()
        w("/// The value with the declared name `protoName` (aliases too).")
        w("public init?(protoName: String) {")
        w("    switch protoName {")
        for value in info.proto.value:
            w("    case %s: self.init(rawValue: %d)" % (swift_string_literal(value.name), value.number))
        w("    default: return nil")
        w("    }")
        w("}")
        w()
        w("/// Equal when the wire values are equal (`.unrecognized(1)` equals the case numbered 1).")
        w("public static func == (lhs: Self, rhs: Self) -> Bool {")
        w("    lhs.rawValue == rhs.rawValue")
        w("}")
        w()
        w("public func hash(into hasher: inout Hasher) {")
        w("    hasher.combine(rawValue)")
        w("}")
        w.dedent()
        w("}")

    def fields_of(self, info):
        return [FieldInfo(self, info, f) for f in info.proto.field]

    def emit_message(self, w, info, comments, path):
        comments.emit(w, path)
        short = info.swift_name.split(".")[-1]
        w("public struct %s: Sendable, Equatable, Hashable {" % short)
        w.indent()
        fields = self.fields_of(info)
        oneofs = {}
        for fi in fields:
            if fi.kind == "oneof":
                oneofs.setdefault(fi.proto.oneof_index, []).append(fi)
        emitted_oneofs = set()
        for idx, fi in enumerate(fields):
            if fi.kind == "oneof":
                if fi.proto.oneof_index in emitted_oneofs:
                    continue
                emitted_oneofs.add(fi.proto.oneof_index)
                oneof = info.proto.oneof_decl[fi.proto.oneof_index]
                comments.emit(w, path + [8, fi.proto.oneof_index])
                w("public var %s: OneOf_%s? = nil" % (escape(member_name(oneof.name)), upper_camel(oneof.name)))
                w()
                continue
            comments.emit(w, path + [2, idx])
            if fi.boxed:
                w("public var %s: %s {" % (fi.name, fi.swift_type))
                w("    get { _%s?.value }" % fi.bare_name)
                w("    set { _%s = newValue.map { _ProtoBox($0) } }" % fi.bare_name)
                w("}")
                w("private var _%s: _ProtoBox<%s>? = nil" % (fi.bare_name, fi.element_type))
            else:
                w("public var %s: %s = %s" % (fi.name, fi.swift_type, fi.default))
            w()
        # Oneof convenience accessors and enums.
        for oneof_index in sorted(oneofs):
            members = oneofs[oneof_index]
            oneof = info.proto.oneof_decl[oneof_index]
            prop = escape(member_name(oneof.name))
            for fi in members:
                field_index = list(info.proto.field).index(fi.proto)
                comments.emit(w, path + [2, field_index])
                default = "%s()" % fi.element_type if fi.message is not None else fi.default
                w("public var %s: %s {" % (fi.name, fi.element_type))
                w("    get {")
                w("        if case .%s(let value)? = %s { return value }" % (fi.name, prop))
                w("        return %s" % default)
                w("    }")
                w("    set { %s = .%s(newValue) }" % (prop, fi.name))
                w("}")
                w()
            indirect = "indirect " if any(fi.boxed for fi in members) else ""
            w("/// The fields of oneof `%s`." % oneof.name)
            w("public %senum OneOf_%s: Sendable, Equatable, Hashable {" % (indirect, upper_camel(oneof.name)))
            for fi in members:
                w("    case %s(%s)" % (fi.name, fi.element_type))
            w("}")
            w()
        w("public init() {}")
        for i, n in enumerate(info.proto.nested_type):
            if n.options.map_entry:
                continue
            w()
            self.emit_message(w, self.registry.messages["." + info.full_name + "." + n.name], comments, path + [3, i])
        for i, e in enumerate(info.proto.enum_type):
            w()
            self.emit_enum(w, self.registry.enums["." + info.full_name + "." + e.name], comments, path + [4, i])
        w.dedent()
        w("}")

    def emit_service(self, w, f, s, comments, path):
        pkg = f.package + "." if f.package else ""
        full = pkg + s.name
        comments.emit(w, path)
        w("public enum %s%s {" % (package_prefix(f.package), s.name))
        w.indent()
        w("/// The fully-qualified service name.")
        w('public static let descriptorName = "%s"' % full)
        for i, m in enumerate(s.method):
            w()
            comments.emit(w, path + [2, i])
            inp = self.registry.messages[m.input_type].swift_name
            out = self.registry.messages[m.output_type].swift_name
            w("public static let %s = ProtoMethod<%s, %s>(" % (escape(member_name(m.name)), inp, out))
            w('    path: "/%s/%s",' % (full, m.name))
            w("    isServerStreaming: %s," % ("true" if m.server_streaming else "false"))
            w("    isClientStreaming: %s" % ("true" if m.client_streaming else "false"))
            w(")")
        w.dedent()
        w("}")

    def emit_conformance(self, w, info):
        w("extension %s: ProtobufMessage {" % info.swift_name)
        w.indent()
        w('public static let protoMessageName = "%s"' % info.full_name)
        w()
        w("public init(serializedBytes bytes: [UInt8]) throws(ProtobufDecodingError) {")
        w("    self = try _heraldDecode(bytes, %s__init, Self.protoMessageName) { c throws(ProtobufDecodingError) in" % info.c_prefix)
        w("        try Self(_heraldC: c)")
        w("    }")
        w("}")
        w()
        w("public func serializedBytes() -> [UInt8] {")
        w("    _heraldEncode(%s__init) { c, arena in _heraldFill(c, &arena) }" % info.c_prefix)
        w("}")
        w.dedent()
        w("}")

    # ---------------------------------------------------------------- conversion

    def c_enum_set(self, expr):
        return ".init(rawValue: .init(truncatingIfNeeded: %s.rawValue))" % expr

    def fill_scalar(self, fi, value, target):
        """Statements assigning Swift `value` to C lvalue `target` (fi: scalar/enum/msg)."""
        t = fi.element_type
        if fi.message is not None:
            m = fi.message
            return ["do {",
                    "    let sub = arena.allocate(%s.self)" % m.c_type,
                    "    %s__init(sub)" % m.c_prefix,
                    "    %s._heraldFill(sub, &arena)" % value,
                    "    %s = sub" % target,
                    "}"]
        if fi.enum is not None:
            return ["%s = %s" % (target, self.c_enum_set(value))]
        if t == "Bool":
            return ["%s = %s ? 1 : 0" % (target, value)]
        if t == "String":
            return ["%s = arena.cString(%s)" % (target, value)]
        if t == "[UInt8]":
            return ["%s = arena.binaryData(%s)" % (target, value)]
        return ["%s = %s" % (target, value)]

    def read_scalar(self, fi, expr):
        """Swift expression converting C rvalue `expr` (fi: scalar/enum/msg)."""
        t = fi.element_type
        if fi.message is not None:
            return "try %s(_heraldC: %s)" % (fi.message.swift_name, expr)
        if fi.enum is not None:
            return "%s(rawValue: Int32(truncatingIfNeeded: %s.rawValue))" % (fi.enum.swift_name, expr)
        if t == "Bool":
            return "%s != 0" % expr
        if t == "String":
            return "try _heraldString(%s, %s)" % (expr, swift_string_literal(fi.full_name))
        if t == "[UInt8]":
            return "_heraldBytes(%s)" % expr
        return expr

    def c_element_type(self, fi):
        if fi.message is not None:
            return fi.message.c_type
        if fi.enum is not None:
            return fi.enum.c_type
        t = fi.element_type
        return {"Bool": "protobuf_c_boolean", "String": "UnsafeMutablePointer<CChar>?",
                "[UInt8]": "ProtobufCBinaryData"}.get(t, t)

    def emit_conversion(self, w, info):
        fields = self.fields_of(info)
        w("extension %s {" % info.swift_name)
        w.indent()
        # ---- encode
        w("/// Fills `c` (already `*__init`ed) from `self`; temporaries come from `arena`.")
        w("func _heraldFill(_ c: UnsafeMutablePointer<%s>, _ arena: inout _ProtoArena) {" % info.c_type)
        w.indent()
        oneofs_done = set()
        for fi in fields:
            target = "c.pointee.%s" % fi.c_name
            if fi.kind == "singular":
                t = fi.element_type
                if fi.message is not None:
                    w("if let value = %s {" % fi.name)
                    for line in self.fill_scalar(fi, "value", target):
                        w("    " + line)
                    w("}")
                elif t in ("String", "[UInt8]"):
                    w("if !%s.isEmpty {" % fi.name)
                    for line in self.fill_scalar(fi, fi.name, target):
                        w("    " + line)
                    w("}")
                else:
                    for line in self.fill_scalar(fi, fi.name, target):
                        w(line)
            elif fi.kind == "optional":
                w("if let value = %s {" % fi.name)
                w("    c.pointee.%s_case = .init(rawValue: %d)" % (fi.oneof_name, fi.number))
                for line in self.fill_scalar(fi, "value", target):
                    w("    " + line)
                w("}")
            elif fi.kind == "oneof":
                if fi.proto.oneof_index in oneofs_done:
                    continue
                oneofs_done.add(fi.proto.oneof_index)
                oneof_name = info.proto.oneof_decl[fi.proto.oneof_index].name
                members = [x for x in fields if x.kind == "oneof" and x.proto.oneof_index == fi.proto.oneof_index]
                w("switch %s {" % escape(member_name(oneof_name)))
                for m in members:
                    w("case .%s(let value)?:" % m.name)
                    w("    c.pointee.%s_case = .init(rawValue: %d)" % (oneof_name, m.number))
                    for line in self.fill_scalar(m, "value", "c.pointee.%s" % m.c_name):
                        w("    " + line)
                w("case nil:")
                w("    break")
                w("}")
            elif fi.kind == "repeated":
                t = fi.element_type
                w("if !%s.isEmpty {" % fi.name)
                w.indent()
                w("c.pointee.%s = %s.count" % (fi.c_count, fi.name))
                if t in SAME_LAYOUT:
                    w("%s = arena.copy(%s)" % (target, fi.name))
                elif fi.message is not None:
                    m = fi.message
                    w("let elements = arena.allocate(%s.self, count: %s.count)" % (m.c_type, fi.name))
                    w("let pointers = arena.allocate(UnsafeMutablePointer<%s>?.self, count: %s.count)" % (m.c_type, fi.name))
                    w("for (i, value) in %s.enumerated() {" % fi.name)
                    w("    %s__init(elements + i)" % m.c_prefix)
                    w("    value._heraldFill(elements + i, &arena)")
                    w("    pointers[i] = elements + i")
                    w("}")
                    w("%s = pointers" % target)
                else:
                    w("let elements = arena.allocate(%s.self, count: %s.count)" % (self.c_element_type(fi), fi.name))
                    w("for (i, value) in %s.enumerated() {" % fi.name)
                    for line in self.fill_scalar(fi, "value", "elements[i]"):
                        w("    " + line)
                    w("}")
                    w("%s = elements" % target)
                w.dedent()
                w("}")
            elif fi.kind == "map":
                e = fi.entry
                w("if !%s.isEmpty {" % fi.name)
                w.indent()
                w("c.pointee.%s = %s.count" % (fi.c_count, fi.name))
                w("let elements = arena.allocate(%s.self, count: %s.count)" % (e.c_type, fi.name))
                w("let pointers = arena.allocate(UnsafeMutablePointer<%s>?.self, count: %s.count)" % (e.c_type, fi.name))
                w("for (i, entry) in _heraldSortedEntries(%s).enumerated() {" % fi.name)
                w("    let element = elements + i")
                w("    %s__init(element)" % e.c_prefix)
                for sub, src in ((fi.key, "entry.key"), (fi.value, "entry.value")):
                    t = sub.element_type
                    tgt = "element.pointee.%s" % sub.c_name
                    if t in ("String", "[UInt8]"):
                        w("    if !%s.isEmpty {" % src)
                        for line in self.fill_scalar(sub, src, tgt):
                            w("        " + line)
                        w("    }")
                    else:
                        for line in self.fill_scalar(sub, src, tgt):
                            w("    " + line)
                w("    pointers[i] = element")
                w("}")
                w("%s = pointers" % target)
                w.dedent()
                w("}")
        w.dedent()
        w("}")
        w()
        # ---- decode
        w("/// Converts a message protobuf-c unpacked.")
        w("init(_heraldC c: UnsafePointer<%s>) throws(ProtobufDecodingError) {" % info.c_type)
        w.indent()
        w("self.init()")
        oneofs_done = set()
        for fi in fields:
            src = "c.pointee.%s" % fi.c_name
            if fi.kind == "singular":
                if fi.message is not None:
                    w("if let value = %s {" % src)
                    w("    %s = %s" % (fi.name, self.read_scalar(fi, "value")))
                    w("}")
                else:
                    w("%s = %s" % (fi.name, self.read_scalar(fi, src)))
            elif fi.kind == "optional":
                w("if %s_case.rawValue == %d {" % ("c.pointee." + fi.oneof_name, fi.number))
                if fi.message is not None:
                    w("    if let value = %s {" % src)
                    w("        %s = %s" % (fi.name, self.read_scalar(fi, "value")))
                    w("    }")
                else:
                    w("    %s = %s" % (fi.name, self.read_scalar(fi, src)))
                w("}")
            elif fi.kind == "oneof":
                if fi.proto.oneof_index in oneofs_done:
                    continue
                oneofs_done.add(fi.proto.oneof_index)
                oneof_name = info.proto.oneof_decl[fi.proto.oneof_index].name
                prop = escape(member_name(oneof_name))
                members = [x for x in fields if x.kind == "oneof" and x.proto.oneof_index == fi.proto.oneof_index]
                w("switch c.pointee.%s_case.rawValue {" % oneof_name)
                for m in members:
                    w("case %d:" % m.number)
                    msrc = "c.pointee.%s" % m.c_name
                    if m.message is not None:
                        w("    if let value = %s {" % msrc)
                        w("        %s = .%s(try %s(_heraldC: value))" % (prop, m.name, m.message.swift_name))
                        w("    } else {")
                        w("        %s = .%s(%s())" % (prop, m.name, m.message.swift_name))
                        w("    }")
                    else:
                        w("    %s = .%s(%s)" % (prop, m.name, self.read_scalar(m, msrc)))
                w("default:")
                w("    break")
                w("}")
            elif fi.kind == "repeated":
                t = fi.element_type
                if t in SAME_LAYOUT:
                    w("%s = _heraldArray(%s, %s)" % (fi.name, src, "c.pointee." + fi.c_count))
                else:
                    w("if let elements = %s, c.pointee.%s > 0 {" % (src, fi.c_count))
                    w.indent()
                    w("%s.reserveCapacity(c.pointee.%s)" % (fi.name, fi.c_count))
                    w("for i in 0..<c.pointee.%s {" % fi.c_count)
                    if fi.message is not None:
                        w("    guard let element = elements[i] else { throw ProtobufDecodingError(.malformed, messageName: %s) }"
                          % swift_string_literal(info.full_name))
                        w("    %s.append(try %s(_heraldC: element))" % (fi.name, fi.message.swift_name))
                    else:
                        w("    %s.append(%s)" % (fi.name, self.read_scalar(fi, "elements[i]")))
                    w("}")
                    w.dedent()
                    w("}")
            elif fi.kind == "map":
                w("if let entries = %s, c.pointee.%s > 0 {" % (src, fi.c_count))
                w.indent()
                w("%s.reserveCapacity(c.pointee.%s)" % (fi.name, fi.c_count))
                w("for i in 0..<c.pointee.%s {" % fi.c_count)
                w("    guard let entry = entries[i] else { continue }")
                key = self.read_scalar(fi.key, "entry.pointee.%s" % fi.key.c_name)
                if fi.value.message is not None:
                    w("    if let value = entry.pointee.%s {" % fi.value.c_name)
                    w("        %s[%s] = try %s(_heraldC: value)" % (fi.name, key, fi.value.message.swift_name))
                    w("    } else {")
                    w("        %s[%s] = %s()" % (fi.name, key, fi.value.message.swift_name))
                    w("    }")
                else:
                    value = self.read_scalar(fi.value, "entry.pointee.%s" % fi.value.c_name)
                    w("    %s[%s] = %s" % (fi.name, key, value))
                w("}")
                w.dedent()
                w("}")
        w.dedent()
        w("}")
        w.dedent()
        w("}")

    # ---------------------------------------------------------------- JSON

    def json_name_cases(self, fi):
        names = [fi.proto.json_name or lower_camel(fi.proto.name)]
        if fi.proto.name not in names:
            names.append(fi.proto.name)
        return ", ".join(swift_string_literal(n) for n in names)

    def json_nondefault(self, fi, expr):
        t = fi.element_type
        if fi.enum is not None:
            return "%s.rawValue != 0" % expr
        if t in ("String", "[UInt8]"):
            return "!%s.isEmpty" % expr
        if t == "Bool":
            return expr
        if t in ("Double", "Float"):
            return "%s.bitPattern != 0" % expr
        return "%s != 0" % expr

    def emit_json(self, w, info):
        fields = self.fields_of(info)
        full = "." + info.full_name
        w("extension %s: ProtoJSONMessage {" % info.swift_name)
        w.indent()
        if full == ".google.protobuf.Timestamp":
            w("/// An RFC 3339 string in UTC, e.g. \"2024-05-01T12:00:00.250Z\".")
            w("public func jsonValue() -> ProtoJSON {")
            w("    _heraldTimestampJSON(seconds: seconds, nanos: nanos)")
            w("}")
            w()
            w("public init(json: ProtoJSON) throws(ProtoJSONError) {")
            w("    self.init()")
            w("    let value = try _heraldTimestampRead(json, Self.protoMessageName)")
            w("    seconds = value.seconds")
            w("    nanos = value.nanos")
            w("}")
            w.dedent()
            w("}")
            return
        if full == ".google.protobuf.FieldMask":
            w("/// The paths in lowerCamelCase joined by commas, e.g. \"content.subject,name\".")
            w("public func jsonValue() -> ProtoJSON {")
            w("    _heraldFieldMaskJSON(paths)")
            w("}")
            w()
            w("public init(json: ProtoJSON) throws(ProtoJSONError) {")
            w("    self.init()")
            w("    paths = try _heraldFieldMaskRead(json, Self.protoMessageName)")
            w("}")
            w.dedent()
            w("}")
            return
        # ---- write
        w("public func jsonValue() -> ProtoJSON {")
        w.indent()
        if not fields:
            w(".object([])")
        else:
            w("var members: [ProtoJSON.Member] = []")
            done = set()
            for fi in fields:
                key = swift_string_literal(fi.proto.json_name or lower_camel(fi.proto.name))
                if fi.kind == "singular":
                    if fi.message is not None:
                        w("if let value = %s {" % fi.name)
                        w("    members.append(ProtoJSON.Member(%s, _heraldJSON(value)))" % key)
                    else:
                        w("if %s {" % self.json_nondefault(fi, fi.name))
                        w("    members.append(ProtoJSON.Member(%s, _heraldJSON(%s)))" % (key, fi.name))
                    w("}")
                elif fi.kind == "optional":
                    w("if let value = %s {" % fi.name)
                    w("    members.append(ProtoJSON.Member(%s, _heraldJSON(value)))" % key)
                    w("}")
                elif fi.kind == "oneof":
                    if fi.proto.oneof_index in done:
                        continue
                    done.add(fi.proto.oneof_index)
                    oneof = info.proto.oneof_decl[fi.proto.oneof_index]
                    members = [x for x in fields if x.kind == "oneof" and x.proto.oneof_index == fi.proto.oneof_index]
                    w("switch %s {" % escape(member_name(oneof.name)))
                    for m in members:
                        mkey = swift_string_literal(m.proto.json_name or lower_camel(m.proto.name))
                        w("case .%s(let value)?:" % m.name)
                        w("    members.append(ProtoJSON.Member(%s, _heraldJSON(value)))" % mkey)
                    w("case nil:")
                    w("    break")
                    w("}")
                elif fi.kind == "repeated":
                    w("if !%s.isEmpty {" % fi.name)
                    w("    members.append(ProtoJSON.Member(%s, .array(%s.map { _heraldJSON($0) })))" % (key, fi.name))
                    w("}")
                elif fi.kind == "map":
                    w("if !%s.isEmpty {" % fi.name)
                    w("    members.append(ProtoJSON.Member(%s, _heraldJSONMap(%s, key: { _heraldJSONKey($0) }, value: { _heraldJSON($0) })))"
                      % (key, fi.name))
                    w("}")
            w("return .object(members)")
        w.dedent()
        w("}")
        w()
        # ---- read
        w("public init(json: ProtoJSON) throws(ProtoJSONError) {")
        w.indent()
        w("self.init()")
        w("for member in try _heraldJSONMembers(json, Self.protoMessageName) {")
        w.indent()
        w("if case .null = member.value {")
        w("    continue")
        w("}")
        w("switch member.key {")
        for fi in fields:
            field = swift_string_literal(fi.full_name)
            w("case %s:" % self.json_name_cases(fi))
            if fi.kind in ("singular", "optional"):
                w("    %s = try _heraldJSONRead(member.value, as: %s.self, %s)" % (fi.name, fi.element_type, field))
            elif fi.kind == "oneof":
                oneof = info.proto.oneof_decl[fi.proto.oneof_index]
                w("    %s = .%s(try _heraldJSONRead(member.value, as: %s.self, %s))" % (
                    escape(member_name(oneof.name)), fi.name, fi.element_type, field))
            elif fi.kind == "repeated":
                w("    %s = try _heraldJSONArray(member.value, %s).map { element throws(ProtoJSONError) in" % (fi.name, field))
                w("        try _heraldJSONRead(element, as: %s.self, %s)" % (fi.element_type, field))
                w("    }")
            elif fi.kind == "map":
                w("    for entry in try _heraldJSONMembers(member.value, %s) {" % field)
                w("        %s[try _heraldJSONReadKey(entry.key, as: %s.self, %s)] = try _heraldJSONRead(entry.value, as: %s.self, %s)" % (
                    fi.name, fi.key.element_type, field, fi.value.element_type, field))
                w("    }")
        w("default:")
        w("    throw _heraldJSONUnknownField(member.key, Self.protoMessageName)")
        w("}")
        w.dedent()
        w("}")
        w.dedent()
        w("}")
        w.dedent()
        w("}")

    # ---------------------------------------------------------------- reflection

    def symbols_of(self, f):
        pkg = f.package + "." if f.package else ""
        out = []

        def walk_msg(m, scope):
            full = scope + m.name
            if not m.options.map_entry:
                out.append(full)
            for n in m.nested_type:
                walk_msg(n, full + ".")
            for e in m.enum_type:
                out.append(full + "." + e.name)
        for m in f.message_type:
            walk_msg(m, pkg)
        for e in f.enum_type:
            out.append(pkg + e.name)
        for s in f.service:
            out.append(pkg + s.name)
            for m in s.method:
                out.append(pkg + s.name + "." + m.name)
        return out

    def generate_reflection(self, raw_descriptors):
        w = Writer()
        self.header(w, "every file of the set")
        w("/// The descriptors of every proto file in this module, as protoc produced them, for")
        w("/// server reflection (`grpc.reflection.v1.ServerReflection`).")
        w("public enum ProtoReflectionData {")
        w.indent()
        w("public typealias File = ProtoReflectionFile")
        w()
        w("/// Every file, each after the files it imports.")
        w("public static let files: [File] = [")
        w.indent()
        names = [f for f in raw_descriptors if f in self.request.file_to_generate]
        for name in names:
            f = self.files[name]
            encoded = base64.b64encode(raw_descriptors[name]).decode("ascii")
            w("File(")
            w("    name: %s," % swift_string_literal(name))
            w("    dependencies: [%s]," % ", ".join(swift_string_literal(d) for d in f.dependency))
            w("    symbols: [")
            for s in self.symbols_of(f):
                w("        %s," % swift_string_literal(s))
            w("    ],")
            w("    base64Descriptor: \"\"\"")
            for i in range(0, len(encoded), 100):
                w("        " + encoded[i:i + 100])
            w("        \"\"\"")
            w("),")
        w.dedent()
        w("]")
        w()
        w("private static let byName: [String: Int] = Dictionary(")
        w("    files.enumerated().map { ($0.element.name, $0.offset) }, uniquingKeysWith: { first, _ in first })")
        w()
        w("private static let bySymbol: [String: Int] = {")
        w("    var index: [String: Int] = [:]")
        w("    for (offset, file) in files.enumerated() {")
        w("        for symbol in file.symbols where index[symbol] == nil {")
        w("            index[symbol] = offset")
        w("        }")
        w("    }")
        w("    return index")
        w("}()")
        w()
        w("/// The file named `name` (\"herald/v1/delivery.proto\"), if it is in the set.")
        w("public static func file(named name: String) -> File? {")
        w("    byName[name].map { files[$0] }")
        w("}")
        w()
        w("/// The file defining `symbol`: a message, enum or service (\"pkg.Name\", nested")
        w("/// \"pkg.Outer.Inner\") or a method (\"pkg.Service.Method\"); a leading dot is ignored.")
        w("public static func fileContaining(symbol: String) -> File? {")
        w("    let key = symbol.hasPrefix(\".\") ? String(symbol.dropFirst()) : symbol")
        w("    return bySymbol[key].map { files[$0] }")
        w("}")
        w.dedent()
        w("}")
        self.outputs.append(("%s/ProtoReflectionData.swift" % self.swift_dir, w.text()))

    # ---------------------------------------------------------------- arbitrary

    def arbitrary_value(self, fi, depth_expr):
        t = fi.element_type
        if fi.message is not None:
            return "%s.arbitrary(using: &rng, depth: %s)" % (fi.message.swift_name, depth_expr)
        if fi.enum is not None:
            known = sorted({num for _, num in fi.enum.cases})
            return "%s(rawValue: ArbitraryValue.enumRawValue(using: &rng, known: [%s]))" % (
                fi.enum.swift_name, ", ".join(str(k) for k in known))
        return {
            "Double": "ArbitraryValue.double(using: &rng)",
            "Float": "ArbitraryValue.float(using: &rng)",
            "Int64": "ArbitraryValue.int64(using: &rng)",
            "UInt64": "ArbitraryValue.uint64(using: &rng)",
            "Int32": "ArbitraryValue.int32(using: &rng)",
            "UInt32": "ArbitraryValue.uint32(using: &rng)",
            "Bool": "ArbitraryValue.bool(using: &rng)",
            "String": "ArbitraryValue.string(using: &rng)",
            "[UInt8]": "ArbitraryValue.bytes(using: &rng)",
        }[t]

    def generate_arbitrary(self, all_messages):
        w = Writer()
        self.header(w, "every file of the set")
        w("import %s" % self.module)
        if self.runtime_module:
            w("import %s" % self.runtime_module)
        w()
        w("/// Every message type of %s, for tests that must cover them all." % self.module)
        w("enum %s {" % self.list_name)
        w("    static let all: [any ArbitraryMessage.Type] = [")
        for info in all_messages:
            w("        %s.self," % info.swift_name)
        w("    ]")
        w("}")
        for info in all_messages:
            w()
            self.emit_arbitrary(w, info)
        name = "Arbitrary+%s.swift" % self.module
        self.outputs.append(("%s/%s" % (self.test_dir, name), w.text()))

    def emit_arbitrary(self, w, info):
        fields = self.fields_of(info)
        w("extension %s: ArbitraryMessage {" % info.swift_name)
        w.indent()
        w("static func arbitrary(using rng: inout some RandomNumberGenerator, depth: Int, large: Bool) -> Self {")
        w.indent()
        if not fields:
            w("Self()")
            w.dedent()
            w("}")
            w.dedent()
            w("}")
            return
        w("var message = Self()")
        if info.full_name == "google.protobuf.Timestamp":
            # Only values that have an RFC 3339 form (0001-01-01...9999-12-31).
            w("message.seconds = Int64(rng.next(upperBound: UInt64(315_537_897_600))) - 62_135_596_800")
            w("message.nanos = [0, 999_999_999, 1_000_000, 1000, 1, Int32(rng.next(upperBound: UInt32(1_000_000_000)))][Int(rng.next(upperBound: UInt(6)))]")
            w("return message")
            w.dedent()
            w("}")
            w.dedent()
            w("}")
            return
        if info.full_name == "google.protobuf.FieldMask":
            # Only snake_case paths, which have a lowerCamelCase JSON form.
            w('let paths = ["name", "first_name", "content.subject", "audience.filter", "a1_b", "typology.rate_limit_per_second"]')
            w("for _ in 0..<ArbitraryValue.count(using: &rng, large: large) {")
            w("    message.paths.append(paths[Int(rng.next(upperBound: UInt(paths.count)))])")
            w("}")
            w("return message")
            w.dedent()
            w("}")
            w.dedent()
            w("}")
            return
        done = set()
        for fi in fields:
            if fi.kind == "singular":
                if fi.message is not None:
                    w("if depth > 0, ArbitraryValue.bool(using: &rng) {")
                    w("    message.%s = %s" % (fi.name, self.arbitrary_value(fi, "depth - 1")))
                    w("}")
                else:
                    w("message.%s = %s" % (fi.name, self.arbitrary_value(fi, "depth - 1")))
            elif fi.kind == "optional":
                if fi.message is not None:
                    w("if depth > 0, ArbitraryValue.bool(using: &rng) {")
                else:
                    w("if ArbitraryValue.bool(using: &rng) {")
                w("    message.%s = %s" % (fi.name, self.arbitrary_value(fi, "depth - 1")))
                w("}")
            elif fi.kind == "oneof":
                if fi.proto.oneof_index in done:
                    continue
                done.add(fi.proto.oneof_index)
                oneof = info.proto.oneof_decl[fi.proto.oneof_index]
                members = [x for x in fields if x.kind == "oneof" and x.proto.oneof_index == fi.proto.oneof_index]
                w("switch rng.next(upperBound: UInt(%d)) {" % (len(members) + 1))
                for i, m in enumerate(members):
                    w("case %d:" % i)
                    if m.message is not None:
                        w("    message.%s = .%s(depth > 0 ? %s : %s())" % (
                            escape(member_name(oneof.name)), m.name, self.arbitrary_value(m, "depth - 1"), m.message.swift_name))
                    else:
                        w("    message.%s = .%s(%s)" % (escape(member_name(oneof.name)), m.name, self.arbitrary_value(m, "depth - 1")))
                w("default:")
                w("    message.%s = nil" % escape(member_name(oneof.name)))
                w("}")
            elif fi.kind == "repeated":
                if fi.message is not None:
                    w("if depth > 0 || large {")
                    w("    for _ in 0..<ArbitraryValue.count(using: &rng, large: large) {")
                    w("        message.%s.append(%s)" % (fi.name, self.arbitrary_value(fi, "max(depth - 1, 0)")))
                    w("    }")
                    w("}")
                else:
                    w("for _ in 0..<ArbitraryValue.count(using: &rng, large: large) {")
                    w("    message.%s.append(%s)" % (fi.name, self.arbitrary_value(fi, "depth - 1")))
                    w("}")
            elif fi.kind == "map":
                cond = "depth > 0 || large" if fi.value.message is not None else "true"
                w("if %s {" % cond)
                w("    for _ in 0..<ArbitraryValue.count(using: &rng, large: large) {")
                w("        message.%s[%s] = %s" % (fi.name, self.arbitrary_value(fi.key, "0"),
                                                 self.arbitrary_value(fi.value, "max(depth - 1, 0)")))
                w("    }")
                w("}")
        w("return message")
        w.dedent()
        w("}")
        w.dedent()
        w("}")

    # ---------------------------------------------------------------- support

    def generate_support(self):
        w = Writer()
        self.header(w, "no proto (fixed support code)")
        w(SUPPORT_TEMPLATE.replace("$RUNTIME_IMPORT$", ("import %s\n" % self.runtime_module) if self.runtime_module else "")
          .replace("$C_MODULE$", self.c_module).rstrip("\n"))
        self.outputs.append(("%s/_HeraldProtobufC.swift" % self.swift_dir, w.text()))

    # ---------------------------------------------------------------- driver

    def run(self):
        to_generate = sorted(self.request.file_to_generate)
        all_messages = []
        for name in to_generate:
            f = self.files[name]
            self.generate_file(f)
            all_messages.extend(self.messages_of(f))
        self.generate_support()
        if self.reflection:
            path = self.params.get("protoset")
            if not path:
                raise SystemExit("reflection=1 needs protoset=PATH")
            with open(path, "rb") as fh:
                raw = split_descriptor_set(fh.read())
            self.generate_reflection(raw)
        if self.test_dir:
            self.generate_arbitrary(all_messages)
        response = plugin_pb2.CodeGeneratorResponse()
        response.supported_features = plugin_pb2.CodeGeneratorResponse.FEATURE_PROTO3_OPTIONAL
        for path, content in sorted(self.outputs):
            out = response.file.add()
            out.name = path
            out.content = content
        return response


SUPPORT_TEMPLATE = r'''$RUNTIME_IMPORT$internal import $C_MODULE$

// The C side of encoding and decoding, shared by every message of this module. Each
// module that wraps a protoc-c target gets its own copy, bound to its own C import.

/// Encodes through protobuf-c: builds the C struct in an arena (stack first, heap when it
/// grows), packs it into one exactly-sized array, then releases every temporary at once.
func _heraldEncode<C>(
    _ initialize: (UnsafeMutablePointer<C>?) -> Void,
    _ fill: (UnsafeMutablePointer<C>, inout _ProtoArena) -> Void
) -> [UInt8] {
    _withProtoArena { arena in
        let c = arena.allocate(C.self)
        initialize(c)
        fill(c, &arena)
        let message = UnsafeRawPointer(c).assumingMemoryBound(to: ProtobufCMessage.self)
        let size = protobuf_c_message_get_packed_size(message)
        if size == 0 {
            return []
        }
        return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = protobuf_c_message_pack(message, buffer.baseAddress!)
            precondition(count == size, "protobuf_c_message_pack wrote \(count) bytes, expected \(size)")
        }
    }
}

/// Decodes through protobuf-c: `protobuf_c_message_unpack` allocates from an arena
/// (so no per-field malloc and no `protobuf_c_message_free_unpacked`), then `convert`
/// copies the result into Swift values before the arena goes away.
func _heraldDecode<C, T>(
    _ bytes: [UInt8],
    _ initialize: (UnsafeMutablePointer<C>?) -> Void,
    _ messageName: String,
    _ convert: (UnsafePointer<C>) throws(ProtobufDecodingError) -> T
) throws(ProtobufDecodingError) -> T {
    try _withProtoArena { arena throws(ProtobufDecodingError) in
        // `*__init` stores the message's descriptor: the only portable way to reach the
        // `const` descriptor object without copying it.
        let probe = arena.allocate(C.self)
        initialize(probe)
        let descriptor = UnsafeRawPointer(probe).assumingMemoryBound(to: ProtobufCMessage.self).pointee.descriptor
        let unpacked = withUnsafeMutablePointer(to: &arena) { arenaPointer in
            var allocator = ProtobufCAllocator(
                alloc: { data, size in
                    data!.assumingMemoryBound(to: _ProtoArena.self).pointee.allocateForC(byteCount: size)
                },
                free: { _, _ in },
                allocator_data: UnsafeMutableRawPointer(arenaPointer)
            )
            return bytes.withUnsafeBufferPointer { buffer in
                // A zero-length read never touches the pointer; it only must not be NULL.
                withUnsafePointer(to: 0 as UInt8) { empty in
                    protobuf_c_message_unpack(descriptor, &allocator, buffer.count, buffer.baseAddress ?? empty)
                }
            }
        }
        guard let unpacked else {
            throw ProtobufDecodingError(.malformed, messageName: messageName)
        }
        do throws(ProtobufDecodingError) {
            return try convert(UnsafeRawPointer(unpacked).assumingMemoryBound(to: C.self))
        } catch {
            throw ProtobufDecodingError(error.code, messageName: messageName, field: error.field)
        }
    }
}

/// A protobuf-c string: NUL-terminated, so read up to the first NUL; must be UTF-8.
func _heraldString(_ pointer: UnsafeMutablePointer<CChar>?, _ field: StaticString) throws(ProtobufDecodingError) -> String {
    guard let pointer, pointer.pointee != 0 else {
        return ""
    }
    guard let string = String(validatingCString: pointer) else {
        throw ProtobufDecodingError(.invalidUTF8, messageName: "", field: "\(field)")
    }
    return string
}

func _heraldBytes(_ data: ProtobufCBinaryData) -> [UInt8] {
    guard data.len > 0, let bytes = data.data else {
        return []
    }
    return [UInt8](UnsafeBufferPointer(start: bytes, count: data.len))
}

func _heraldArray<T>(_ elements: UnsafeMutablePointer<T>?, _ count: Int) -> [T] {
    guard count > 0, let elements else {
        return []
    }
    return [T](UnsafeBufferPointer(start: elements, count: count))
}

extension _ProtoArena {
    /// `bytes` as protobuf-c binary data owned by the arena.
    mutating func binaryData(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        ProtobufCBinaryData(len: bytes.count, data: copy(bytes))
    }
}
'''


def read_varint(data, pos):
    result, shift = 0, 0
    while True:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def split_descriptor_set(data):
    """FileDescriptorSet bytes -> {file name: its FileDescriptorProto bytes, verbatim}, in order."""
    out = {}
    pos = 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        if key != (1 << 3 | 2):
            raise SystemExit("unexpected field in descriptor set: key %d" % key)
        length, pos = read_varint(data, pos)
        chunk = data[pos:pos + length]
        pos += length
        fdp = descriptor_pb2.FileDescriptorProto.FromString(chunk)
        out[fdp.name] = bytes(chunk)
    return out


def main():
    request = plugin_pb2.CodeGeneratorRequest.FromString(sys.stdin.buffer.read())
    params = dict(item.split("=", 1) for item in request.parameter.split(",") if item)
    response = Generator(request, params).run()
    sys.stdout.buffer.write(response.SerializeToString())


if __name__ == "__main__":
    main()
