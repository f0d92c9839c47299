/// Prices resources by the price books that cover their sites. Pure: the same spec, site and
/// books give the same estimate.
///
/// For each site and kind, the model comes from the most specific book covering the site
/// that lists the kind (a book naming the site beats one selecting it by labels, which beats
/// one covering every site). Two equally specific books listing the same kind for one site
/// are a validation error (``conflicts``); the estimator then uses the first by name.
public struct CostEstimator: Sendable {
    /// The model in force for a kind on one site, with its book.
    struct Chosen: Sendable {
        var book: PriceBook
        var model: PriceModel
        var fields: [FieldSchema]
    }

    public struct Conflict: Sendable, Hashable {
        public var site: String
        public var provider: String
        public var kind: String
        public var books: [String]
        public var location: SourceLocation?
    }

    public let sites: [String: Site]
    /// By site, then kind.
    private let chosen: [String: [String: Chosen]]
    /// Equally specific books that list one kind for one site, sorted.
    public let conflicts: [Conflict]

    /// The annotation prefix of a resource's own usage estimates: `usage.ballast.dev/storedGb: "120"`.
    public static let usageAnnotationPrefix = "usage.ballast.dev/"

    public init(sites: [String: Site], priceBooks: [PriceBook], catalog: SchemaCatalog) {
        self.sites = sites
        var chosen: [String: [String: Chosen]] = [:]
        var conflicts: [Conflict] = []
        let books = priceBooks.sorted { $0.name < $1.name }
        for site in sites.values.sorted(by: { $0.name < $1.name }) {
            let covering = books.filter { $0.scope.covers(site) }
            guard !covering.isEmpty else { continue }
            let kindFields = Dictionary(uniqueKeysWithValues: (catalog.providers[site.provider]?.kinds ?? []).map { ($0.kind, $0.fields) })
            var byKind: [String: Chosen] = [:]
            var specificity: [String: Int] = [:]
            var tied: [String: [PriceBook]] = [:]
            for book in covering {
                for model in book.models where model.provider == site.provider {
                    let rank = book.scope.specificity
                    if let current = specificity[model.kind], current > rank { continue }
                    if let current = specificity[model.kind], current == rank {
                        tied[model.kind, default: [byKind[model.kind]!.book]].append(book)
                        continue
                    }
                    specificity[model.kind] = rank
                    tied[model.kind] = nil
                    byKind[model.kind] = Chosen(book: book, model: model, fields: kindFields[model.kind] ?? [])
                }
            }
            for (kind, books) in tied.sorted(by: { $0.key < $1.key }) {
                conflicts.append(Conflict(site: site.name, provider: site.provider, kind: kind, books: books.map(\.name), location: books.last?.location))
            }
            chosen[site.name] = byKind
        }
        self.chosen = chosen
        self.conflicts = conflicts
    }

    /// Whether any price book covers any site: without one, plans show no cost at all.
    public var hasPrices: Bool { !chosen.isEmpty }

    /// What a resource with this spec costs on its site.
    public func estimate(_ id: ResourceID, spec: Fields, annotations: StringMap = [:]) -> CostEstimate {
        guard let site = sites[id.site] else { return .unpriced(reason: "site '\(id.site)' is not declared") }
        guard let byKind = chosen[id.site] else { return .unpriced(reason: "no price book covers site '\(id.site)'") }
        guard let chosen = byKind[id.kind] else {
            return .unpriced(reason: "no price book covering site '\(id.site)' lists \(site.provider) \(id.kind)")
        }
        let model = chosen.model
        let book = chosen.book
        var monthly = 0.0
        var energy = 0.0
        var embodied = 0.0
        for term in model.terms {
            let quantity: Double
            switch Self.quantity(term.quantity, spec: spec, fields: chosen.fields, annotations: annotations, model: model) {
            case .success(let value): quantity = value
            case .failure(let problem): return .unpriced(reason: "\(problem.message) (PriceBook/\(book.name), term '\(term.name)')")
            }
            var rates: [Double] = []
            for rate in [term.perHour, term.perMonth, term.watts, term.kWhPerMonth, term.embodiedKgPerMonth] {
                switch Self.rate(rate, spec: spec, fields: chosen.fields) {
                case .success(let value): rates.append(value)
                case .failure(let problem): return .unpriced(reason: "\(problem.message) (PriceBook/\(book.name), term '\(term.name)')")
                }
            }
            monthly += quantity * (rates[0] * book.hoursPerMonth + rates[1])
            energy += quantity * (rates[2] * book.hoursPerMonth / 1000 + rates[3])
            embodied += quantity * rates[4]
        }
        var factor = 1.0
        for multiplier in model.multipliers {
            switch multiplier {
            case .field(let path):
                if let value = path.values(in: spec, schema: chosen.fields).first?.doubleValue { factor *= value }
            case .whenTrue(let path, let by):
                if path.values(in: spec, schema: chosen.fields).first?.boolValue == true { factor *= by }
            }
        }
        monthly *= factor
        energy *= factor
        embodied *= factor
        // Operational (energy × PUE × grid) plus embodied; unknown without the site's carbon data.
        let carbon = site.carbon.map { $0.grams(forKWh: energy) + embodied * 1000 }
        return .priced(ResourceCost(currency: book.currency, monthly: monthly, energyKWh: energy, carbonGrams: carbon, priceBook: book.name))
    }

    struct Problem: Error {
        var message: String
    }

    private static func quantity(_ quantity: PriceQuantity, spec: Fields, fields: [FieldSchema], annotations: StringMap, model: PriceModel) -> Result<Double, Problem> {
        switch quantity {
        case .one:
            return .success(1)
        case .field(let path):
            return .success(path.values(in: spec, schema: fields).reduce(0) { $0 + ($1.doubleValue ?? 0) })
        case .lookup(let path, let table):
            return choose(path, table, spec: spec, fields: fields)
        case .usage(let name):
            if let text = annotations[usageAnnotationPrefix + name] {
                guard let value = Double(text), value.isFinite, value >= 0 else {
                    return .failure(Problem(message: "annotation '\(usageAnnotationPrefix + name)' is '\(text)', not a non-negative number"))
                }
                return .success(value)
            }
            if let value = model.usage[name] { return .success(value) }
            return .failure(Problem(message: "no usage estimate '\(name)': set the annotation '\(usageAnnotationPrefix + name)' or the model's 'usage.\(name)'"))
        }
    }

    private static func rate(_ rate: PriceRate?, spec: Fields, fields: [FieldSchema]) -> Result<Double, Problem> {
        switch rate {
        case nil: .success(0)
        case .flat(let value)?: .success(value)
        case .by(let path, let table)?: choose(path, table, spec: spec, fields: fields)
        }
    }

    private static func choose(_ path: PriceFieldPath, _ table: [String: Double], spec: Fields, fields: [FieldSchema]) -> Result<Double, Problem> {
        guard let value = path.values(in: spec, schema: fields).first else {
            return .failure(Problem(message: "'\(path)' is not set"))
        }
        let key: String
        switch value {
        case .string(let text): key = text
        case .bool(let bool): key = String(bool)
        case .int(let int): key = String(int)
        default: return .failure(Problem(message: "'\(path)' is not a single value"))
        }
        guard let figure = table[key] else { return .failure(Problem(message: "\(path) '\(key)' has no price")) }
        return .success(figure)
    }
}
