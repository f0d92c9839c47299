import BallastCore
import Foundation

/// A CloudEvents 1.0 event received over HTTP, and what it asks Ballast to reconcile.
///
/// Both HTTP content modes are read: structured (`Content-Type: application/cloudevents+json`,
/// the event as a JSON object, or `application/cloudevents-batch+json`, an array of them) and
/// binary (attributes in `ce-*` headers, the body as the event's data).
///
/// An event names what to reconcile with any of: `subject` set to a resource id
/// (`Kind/name@site`) or to `site/NAME`; the extension attributes `ballastresource` and
/// `ballastsite`; or, when the data is a JSON object, its `resource`, `resources` (a list) or
/// `site` members.
public struct CloudEvent: Sendable, Hashable {
    public var specVersion: String
    public var id: String
    public var source: String
    public var type: String
    public var subject: String?
    /// Extension attributes, by lowercase name.
    public var extensions: [String: String]
    /// The data, when it is JSON.
    public var data: Value?

    public struct Invalid: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    static let required = ["specversion", "id", "source", "type"]
    static let known: Set<String> = ["specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema", "data", "data_base64"]

    /// Reads an HTTP request: `headers` with lowercase names.
    public static func events(headers: [String: String], body: [UInt8]) throws(Invalid) -> [CloudEvent] {
        let contentType = headers["content-type"]?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch contentType {
        case "application/cloudevents+json":
            return [try structured(parseJSON(body))]
        case "application/cloudevents-batch+json":
            guard case .list(let items) = try parseJSON(body) else { throw Invalid("a batch must be a JSON array of events") }
            return try items.map { item throws(Invalid) in try structured(item) }
        default:
            return [try binary(headers: headers, body: body, contentType: contentType)]
        }
    }

    static func structured(_ value: Value) throws(Invalid) -> CloudEvent {
        guard case .map(let fields) = value else { throw Invalid("a structured event must be a JSON object") }
        var attributes: [String: String] = [:]
        for entry in fields where entry.key != "data" && entry.key != "data_base64" {
            switch entry.value {
            case .string(let text): attributes[entry.key] = text
            case .int(let number): attributes[entry.key] = String(number)
            case .bool(let flag): attributes[entry.key] = String(flag)
            case .null: continue
            default: throw Invalid("attribute '\(entry.key)' must be a string, number or boolean")
            }
        }
        return try make(attributes, data: fields["data"])
    }

    static func binary(headers: [String: String], body: [UInt8], contentType: String) throws(Invalid) -> CloudEvent {
        var attributes: [String: String] = [:]
        for (name, value) in headers where name.hasPrefix("ce-") {
            attributes[String(name.dropFirst(3))] = value.removingPercentEncoding ?? value
        }
        guard attributes["specversion"] != nil else {
            throw Invalid("not a CloudEvent: send Content-Type application/cloudevents+json (structured mode) or ce-specversion, ce-id, ce-source and ce-type headers (binary mode)")
        }
        let isJSON = contentType.isEmpty || contentType == "application/json" || contentType.hasSuffix("+json")
        let data = isJSON && !body.isEmpty ? try? JSONValueParser.parse(body) : nil
        return try make(attributes, data: data)
    }

    static func make(_ attributes: [String: String], data: Value?) throws(Invalid) -> CloudEvent {
        let missing = required.filter { (attributes[$0] ?? "").isEmpty }
        guard missing.isEmpty else { throw Invalid("missing required attribute\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", "))") }
        guard attributes["specversion"] == "1.0" else { throw Invalid("specversion '\(attributes["specversion"]!)' is not supported; use 1.0") }
        return CloudEvent(
            specVersion: "1.0", id: attributes["id"]!, source: attributes["source"]!, type: attributes["type"]!,
            subject: attributes["subject"], extensions: attributes.filter { !known.contains($0.key) }, data: data)
    }

    static func parseJSON(_ body: [UInt8]) throws(Invalid) -> Value {
        do {
            return try JSONValueParser.parse(body)
        } catch {
            throw Invalid("the body is not valid JSON: \(error)")
        }
    }

    /// What the event asks to reconcile, in a stable order.
    public func scopes() throws(Invalid) -> [WatchController.Scope] {
        var scopes: [WatchController.Scope] = []
        func resource(_ text: String, from what: String) throws(Invalid) {
            guard let id = ResourceID(parsing: text) else { throw Invalid("\(what) '\(text)' is not a resource id (Kind/name@site)") }
            scopes.append(.resource(id))
        }
        if let subject {
            if subject.hasPrefix("site/") {
                scopes.append(.site(String(subject.dropFirst(5))))
            } else if let id = ResourceID(parsing: subject) {
                scopes.append(.resource(id))
            }
        }
        if let text = extensions["ballastresource"] { try resource(text, from: "ballastresource") }
        if let name = extensions["ballastsite"] { scopes.append(.site(name)) }
        if case .map(let fields)? = data {
            if let text = fields["resource"]?.stringValue { try resource(text, from: "data.resource") }
            if case .list(let items)? = fields["resources"] {
                for item in items {
                    guard let text = item.stringValue else { throw Invalid("data.resources must be a list of resource ids") }
                    try resource(text, from: "data.resources")
                }
            }
            if let name = fields["site"]?.stringValue { scopes.append(.site(name)) }
        }
        guard !scopes.isEmpty else {
            throw Invalid("event \(id) names nothing to reconcile: set subject to Kind/name@site or site/NAME, or data.resource, data.resources or data.site")
        }
        var seen = Set<WatchController.Scope>()
        return scopes.filter { seen.insert($0).inserted }
    }
}
