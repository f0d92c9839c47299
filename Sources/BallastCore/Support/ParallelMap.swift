import Dispatch
import Synchronization

extension Array where Element: Sendable {
    /// `map` on every core, in contiguous slices, keeping the order. For CPU-bound work on
    /// large arrays (decoding rows or lines); small arrays are mapped on the calling thread.
    public func parallelMap<Result: Sendable>(minimumPerSlice: Int = 2_048, _ transform: @Sendable (Element) -> Result) -> [Result] {
        let slices = withUnsafeBufferPointer { buffer in
            nonisolated(unsafe) let input = buffer
            return ParallelSlices.map(0..<count, minimumPerSlice: minimumPerSlice) { range in input[range].map(transform) }
        }
        if slices.count == 1 { return slices[0] }
        var result: [Result] = []
        result.reserveCapacity(count)
        for slice in slices { result.append(contentsOf: slice) }
        return result
    }
}

/// Work over a range of indices, cut into contiguous slices that run on every core.
public enum ParallelSlices {
    /// `body` for each slice, results in slice order; small ranges (or `maximumSlices` 1) run
    /// as one slice on the calling thread.
    public static func map<Result: Sendable>(
        _ range: Range<Int>, minimumPerSlice: Int = 2_048, maximumSlices: Int = System.activeProcessorCount * 2, _ body: @Sendable (Range<Int>) -> Result
    ) -> [Result] {
        let slices = Swift.min(maximumSlices, range.count / Swift.max(1, minimumPerSlice))
        guard slices > 1 else { return [body(range)] }
        let results = UnsafeMutableBufferPointer<Result?>.allocate(capacity: slices)
        results.initialize(repeating: nil)
        defer {
            results.deinitialize()
            results.deallocate()
        }
        nonisolated(unsafe) let output = results
        let size = (range.count + slices - 1) / slices
        DispatchQueue.concurrentPerform(iterations: slices) { slice in
            let start = range.lowerBound + slice * size
            let end = Swift.min(start + size, range.upperBound)
            if start < end { output[slice] = body(start..<end) }
        }
        return results.compactMap { $0 }
    }
}

extension ParallelSlices {
    /// `body` once for each index in `0..<count`, on `workers` threads that take the next index
    /// as they finish one: for items of uneven cost (files of different sizes). With one
    /// worker, or one item, it runs on the calling thread, in order.
    public static func each(_ count: Int, workers: Int, _ body: @Sendable (Int) -> Void) {
        let workers = Swift.min(workers, count)
        guard workers > 1 else {
            for index in 0..<count { body(index) }
            return
        }
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < count else { return }
                body(index)
            }
        }
    }
}

/// Facts about the machine, read once per call.
public enum System {
    public static var activeProcessorCount: Int {
        #if canImport(Glibc)
        return Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 1
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#endif
