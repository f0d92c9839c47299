import BallastCore
import BallastEngine
import BallastServer
import Testing

@Suite struct CloudEventTests {
    let id = ResourceID(kind: "Bucket", name: "assets", site: "us-east")

    @Test func structuredModeWithASubject() throws {
        let body = #"{"specversion":"1.0","id":"e1","source":"aws.s3","type":"Object Created","subject":"Bucket/assets@us-east","time":"2026-11-25T10:00:00Z"}"#
        let events = try CloudEvent.events(headers: ["content-type": "application/cloudevents+json; charset=utf-8"], body: Array(body.utf8))
        #expect(events.count == 1)
        #expect(events[0].id == "e1" && events[0].source == "aws.s3")
        #expect(try events[0].scopes() == [.resource(id)])
    }

    @Test func binaryModeReadsHeadersAndJSONData() throws {
        let headers = ["content-type": "application/json", "ce-specversion": "1.0", "ce-id": "e2", "ce-source": "kafka%3A%2F%2Fsink", "ce-type": "t", "ce-ballastsite": "edge-paris"]
        let event = try #require(try CloudEvent.events(headers: headers, body: Array(#"{"resources": ["Bucket/assets@us-east"]}"#.utf8)).first)
        #expect(event.source == "kafka://sink")
        #expect(event.extensions["ballastsite"] == "edge-paris")
        #expect(try event.scopes() == [.site("edge-paris"), .resource(id)])
    }

    @Test func batchModeReadsEveryEvent() throws {
        let body = #"[{"specversion":"1.0","id":"a","source":"s","type":"t","subject":"site/us-east"},{"specversion":"1.0","id":"b","source":"s","type":"t","data":{"resource":"Bucket/assets@us-east"}}]"#
        let events = try CloudEvent.events(headers: ["content-type": "application/cloudevents-batch+json"], body: Array(body.utf8))
        #expect(try events.flatMap { try $0.scopes() } == [.site("us-east"), .resource(id)])
    }

    @Test(arguments: [
        (#"{"specversion":"1.0","id":"a"}"#, "missing required attributes source, type"),
        (#"{"specversion":"0.3","id":"a","source":"s","type":"t"}"#, "specversion '0.3' is not supported"),
        (#"{"specversion":"1.0","id":"a","source":"s","type":"t"}"#, "names nothing to reconcile"),
        (#"{"specversion":"1.0","id":"a","source":"s","type":"t","data":{"resource":"not an id"}}"#, "is not a resource id"),
        (#"not json"#, "not valid JSON"),
        (#"[1]"#, "must be a JSON object"),
    ])
    func malformedEventsAreClearErrors(body: String, message: String) {
        let contentType = body.hasPrefix("[") ? "application/cloudevents-batch+json" : "application/cloudevents+json"
        do {
            let events = try CloudEvent.events(headers: ["content-type": contentType], body: Array(body.utf8))
            for event in events { _ = try event.scopes() }
            Issue.record("accepted \(body)")
        } catch {
            #expect(error.description.contains(message), "\(error.description)")
        }
    }

    @Test func aPlainPostIsNotACloudEvent() {
        #expect(throws: CloudEvent.Invalid.self) { try CloudEvent.events(headers: ["content-type": "application/json"], body: Array("{}".utf8)) }
    }

    @Test func listenAddresses() throws {
        #expect(ListenAddress(parsing: "127.0.0.1:7070") == ListenAddress(host: "127.0.0.1", port: 7070))
        #expect(ListenAddress(parsing: ":0") == ListenAddress(host: "127.0.0.1", port: 0))
        #expect(ListenAddress(parsing: "[::1]:80") == ListenAddress(host: "::1", port: 80))
        #expect(ListenAddress(parsing: "nope") == nil)
        #expect(ListenAddress(parsing: "host:99999") == nil)
        let loopback = ["127.0.0.1", "127.1.2.3", "localhost", "::1"]
        let other = ["0.0.0.0", "10.0.0.1", "127.evil.example", "::", "1127.0.0.1"]
        #expect(loopback.allSatisfy { ListenAddress(host: $0, port: 1).isLoopback })
        #expect(other.allSatisfy { !ListenAddress(host: $0, port: 1).isLoopback })
    }
}
