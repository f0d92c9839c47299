import Dispatch

extension Array where Element: Sendable {
    /// `map` on every core, in contiguous slices, keeping the order. For CPU-bound work on
    /// large arrays (decoding rows or lines); small arrays are mapped on the calling thread.
    public func parallelMap<Result: Sendable>(minimumPerSlice: Int = 2_048, _ transform: @Sendable (Element) -> Result) -> [Result] {
        let workers = Swift.min(System.activeProcessorCount * 2, count / Swift.max(1, minimumPerSlice))
        guard workers > 1 else { return map(transform) }
        let slices = UnsafeMutableBufferPointer<[Result]>.allocate(capacity: workers)
        slices.initialize(repeating: [])
        defer {
            slices.deinitialize()
            slices.deallocate()
        }
        nonisolated(unsafe) let output = slices
        let size = (count + workers - 1) / workers
        withUnsafeBufferPointer { buffer in
            nonisolated(unsafe) let input = buffer
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let start = worker * size
                let end = Swift.min(start + size, input.count)
                guard start < end else { return }
                output[worker] = input[start..<end].map(transform)
            }
        }
        var result: [Result] = []
        result.reserveCapacity(count)
        for slice in slices { result.append(contentsOf: slice) }
        return result
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
