/// A key and a value, as kept in arrays sorted by unique key (``Fields``, ``StringMap``).
protocol SortedPair {
    associatedtype Value
    var key: String { get }
    var value: Value { get set }
    init(key: String, value: Value)
}

extension Array where Element: SortedPair {
    /// Sorts by key; of pairs with the same key, the one given last is kept. Already sorted,
    /// unique keys (the usual case) cost one pass.
    mutating func sortKeepingLastOfEqualKeys() {
        guard !indices.dropFirst().allSatisfy({ self[$0 - 1].key < self[$0].key }) else { return }
        // Stable, so that among equal keys the later pair comes last and wins below.
        let sorted = enumerated().sorted { ($0.element.key, $0.offset) < ($1.element.key, $1.offset) }
        removeAll(keepingCapacity: true)
        for (_, pair) in sorted {
            if let last = self.last, last.key == pair.key { self[count - 1] = pair } else { append(pair) }
        }
    }

    /// Where `key` is, or where it would be inserted to keep the order (binary search).
    func sortedIndex(of key: String) -> (found: Bool, index: Int) {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle].key < key { low = middle + 1 } else { high = middle }
        }
        return (low < count && self[low].key == key, low)
    }

    /// The value for `key`, or nil.
    func sortedValue(for key: String) -> Element.Value? {
        let (found, index) = sortedIndex(of: key)
        return found ? self[index].value : nil
    }

    /// Sets, inserts (in order) or, with nil, removes the value for `key`.
    mutating func setSortedValue(_ value: Element.Value?, for key: String) {
        let (found, index) = sortedIndex(of: key)
        switch (found, value) {
        case (true, let value?): self[index].value = value
        case (true, nil): remove(at: index)
        case (false, let value?): insert(Element(key: key, value: value), at: index)
        case (false, nil): break
        }
    }
}
