/// A site's carbon data, as its `spec.carbon` declares it.
public struct SiteCarbon: Sendable, Hashable {
    /// The grid's carbon intensity, in gCO2e per kWh drawn.
    public var gridIntensity: Double
    /// Power usage effectiveness: the facility's energy per unit of IT energy (1 or more).
    public var pue: Double

    public init(gridIntensity: Double, pue: Double = 1) {
        self.gridIntensity = gridIntensity
        self.pue = pue
    }

    /// The emissions of `energy` kWh of IT load on this site, in grams of CO2e.
    public func grams(forKWh energy: Double) -> Double {
        energy * pue * gridIntensity
    }
}
