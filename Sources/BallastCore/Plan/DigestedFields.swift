/// Fills in the fields a provider reported by digest only (``FieldSchema/digestOutput``): a
/// provider that finds a file unchanged since Ballast wrote it reports the content's SHA-256,
/// not the content, so that observing a whole site reads no file twice. Pure.
///
/// The value is the desired one when the digests match (nothing to do), else the value last
/// applied when those match (the plan shows what changes, from what). When neither matches the
/// field stays absent, and the diff shows it as changed: the resource is written again, never
/// taken as up to date.
public enum DigestedFields {
    /// `lastApplied` is read only for a kind with such fields.
    public static func completed(_ observed: Observed, schema: KindSchema?, desired: Fields, lastApplied: @autoclosure () -> Fields?) -> Observed {
        guard let schema, schema.fields.contains(where: { $0.digestOutput != nil }) else { return observed }
        let lastApplied = lastApplied()
        var spec = observed.spec
        for field in schema.fields {
            guard let output = field.digestOutput, spec[field.name] == nil,
                  case .string(let digest)? = observed.outputs[output] else { continue }
            for candidate in [desired[field.name], lastApplied?[field.name]] {
                if case .string(let text)? = candidate, SpecDigest.digest(text) == digest {
                    spec[field.name] = .string(text)
                    break
                }
            }
        }
        var completed = observed
        completed.spec = spec
        return completed
    }
}
