import BallastEngine

/// What the console's resource table shows: a filter and a page, read from the URL's query
/// (`site`, `kind`, `condition`, `label`, `q`, `page`, `per`), so that every view has an address
/// and works without JavaScript.
struct ConsoleQuery: Sendable, Hashable {
    static let pageSizes = [25, 50, 100, 250, 500]
    static let defaultPageSize = 50

    var filter = ResourceFilter()
    /// 1-based.
    var page = 1
    var perPage = Self.defaultPageSize

    init() {}

    /// Unknown or malformed values are ignored (the view falls back to its default), never an error.
    init(_ parameters: [String: String]) {
        func value(_ name: String) -> String? {
            guard let text = parameters[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return String(text.prefix(200))
        }
        filter.site = value("site")
        filter.kind = value("kind")
        filter.condition = value("condition").flatMap { text in ResourceCondition.Kind.allCases.first { $0.rawValue.lowercased() == text.lowercased() } }
        filter.label = value("label")
        filter.search = value("q")
        page = max(1, min(Int(value("page") ?? "") ?? 1, 1_000_000))
        if let per = Int(value("per") ?? ""), Self.pageSizes.contains(per) { perPage = per }
    }

    var offset: Int { (page - 1) * perPage }

    /// The query string of this view (at `page`), parameters sorted, empty ones left out.
    func queryString(page: Int? = nil) -> String {
        var pairs: [(String, String)] = []
        if let condition = filter.condition { pairs.append(("condition", condition.rawValue)) }
        if let kind = filter.kind { pairs.append(("kind", kind)) }
        if let label = filter.label { pairs.append(("label", label)) }
        let shownPage = page ?? self.page
        if shownPage != 1 { pairs.append(("page", String(shownPage))) }
        if perPage != Self.defaultPageSize { pairs.append(("per", String(perPage))) }
        if let search = filter.search { pairs.append(("q", search)) }
        if let site = filter.site { pairs.append(("site", site)) }
        return pairs.map { "\($0.0)=\(HTML.component($0.1))" }.joined(separator: "&")
    }
}
