/// Monthly amounts and carbon, written for people: `€1,204.00`, `+$12.50`, `CHF 3.00`,
/// `18.2 kgCO2e`.
public enum MoneyText {
    /// The symbols of the common currencies; any other code is written before the amount.
    static let symbols = ["EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "INR": "₹"]

    /// `€1,204.00`; with `signed`, `+€412.50` or `-€3.00`.
    public static func amount(_ value: Double, currency: String, signed: Bool = false) -> String {
        let digits = DecimalText.fixed(abs(value), decimals: 2)
        let sign = !signed ? (value < 0 && digits != "0.00" ? "-" : "") : (value < 0 && digits != "0.00" ? "-" : "+")
        if let symbol = symbols[currency] { return sign + symbol + digits }
        return sign + TerminalText.safe(currency) + " " + digits
    }

    /// `18.2 kgCO2e` from grams: kilograms with one decimal (grams under 100 g); with
    /// `signed`, a leading `+` or `-`.
    public static func carbon(grams: Double, signed: Bool = false) -> String {
        let magnitude = abs(grams)
        let text = magnitude < 100 ? "\(DecimalText.fixed(magnitude, decimals: 1)) gCO2e" : "\(DecimalText.fixed(magnitude / 1000, decimals: 1)) kgCO2e"
        let rounded = text.hasPrefix("0.0 ")
        let sign = grams < 0 && !rounded ? "-" : signed ? "+" : ""
        return sign + text
    }
}
