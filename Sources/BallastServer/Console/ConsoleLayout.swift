import BallastCore
import Foundation

/// The console's page shell, its stylesheet and its script: all shipped in the binary, nothing
/// from a CDN.
enum ConsoleLayout {
    static func document(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>\(HTML.escape(title))</title>
        <link rel="stylesheet" href="/console.css">
        </head>
        <body>
        \(body)
        </body>
        </html>

        """
    }

    /// The sign-out button, for a page seen through a session cookie (nothing otherwise).
    static func signOut(_ signedIn: Bool) -> String {
        signedIn ? "<form class=\"signout\" method=\"post\" action=\"/signout\"><button type=\"submit\">Sign out</button></form>" : ""
    }

    /// Times as RFC 3339 in UTC, in a `<time>` element.
    static func time(_ date: Date) -> String {
        let text = Timestamp.string(date)
        return "<time datetime=\"\(text)\">\(text.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: " UTC"))</time>"
    }

    /// Colours pass WCAG AA contrast in both schemes; focus is always visible.
    static let stylesheet = """
        :root { color-scheme: light dark; --bg: #f6f7f9; --panel: #ffffff; --text: #1b1f24; --muted: #57606a; --line: #d0d7de;
          --ok-bg: #dafbe1; --ok: #0f5323; --warn-bg: #fff8c5; --warn: #6b4b00; --bad-bg: #ffebe9; --bad: #8e1519;
          --info-bg: #ddf4ff; --info: #0a3069; --link: #0550ae; }
        @media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --panel: #161b22; --text: #e6edf3; --muted: #9198a1; --line: #30363d;
          --ok-bg: #12361f; --ok: #7ee2a8; --warn-bg: #3b2e05; --warn: #f2cc60; --bad-bg: #42161a; --bad: #ffa198;
          --info-bg: #0c2d4b; --info: #a5d6ff; --link: #79c0ff; } }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--text); }
        a { color: var(--link); }
        a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid var(--link); outline-offset: 2px; }
        code, pre, time { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
        .top { display: flex; flex-wrap: wrap; gap: 0.5rem 1.5rem; align-items: baseline; padding: 0.8rem 1.5rem; background: var(--panel); border-bottom: 1px solid var(--line); }
        .top h1 { margin: 0; font-size: 1.25rem; } .top h1 a { color: inherit; text-decoration: none; }
        .signout { margin-left: auto; } .signout button { background: transparent; color: var(--link); }
        .status { display: flex; flex-wrap: wrap; gap: 0.4rem 1rem; color: var(--muted); }
        main { padding: 1rem 1.5rem 2rem; max-width: 1400px; }
        section { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 0.5rem 1rem 1rem; margin-bottom: 1.2rem; }
        h2 { font-size: 1.05rem; margin: 0.6rem 0; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: 0.35rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        thead th { color: var(--muted); font-weight: 600; font-size: 0.85rem; }
        tbody th { font-weight: 500; }
        .num { text-align: right; font-variant-numeric: tabular-nums; }
        .muted { color: var(--muted); font-size: 0.85rem; }
        .message { color: var(--muted); max-width: 32rem; overflow-wrap: anywhere; }
        .badge { display: inline-block; padding: 0 0.45rem; border-radius: 999px; font-size: 0.8rem; font-weight: 600; white-space: nowrap; }
        .ok { background: var(--ok-bg); color: var(--ok); } .warn { background: var(--warn-bg); color: var(--warn); }
        .bad { background: var(--bad-bg); color: var(--bad); } .unknown, .info { background: var(--info-bg); color: var(--info); }
        .labels { margin-top: 0.15rem; } .label { font-size: 0.75rem; color: var(--muted); border: 1px solid var(--line); border-radius: 4px; padding: 0 0.3rem; }
        .filters { display: flex; flex-wrap: wrap; gap: 0.6rem 1rem; align-items: end; margin-bottom: 0.6rem; }
        .filters label { display: flex; flex-direction: column; font-size: 0.8rem; color: var(--muted); gap: 0.15rem; }
        input, select, button { font: inherit; color: var(--text); background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 0.25rem 0.5rem; }
        button { background: var(--link); color: #fff; border-color: var(--link); cursor: pointer; }
        .count { color: var(--muted); margin: 0.3rem 0; } .pager { display: flex; gap: 1rem; margin-top: 0.6rem; }
        .events { list-style: none; padding: 0; margin: 0; } .events li { padding: 0.25rem 0; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
        .alert { border-radius: 8px; padding: 0.6rem 1rem; margin-bottom: 1rem; border: 1px solid var(--line); }
        .alert pre { white-space: pre-wrap; margin: 0.4rem 0 0; }
        dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0; }
        dl.fields dt { color: var(--muted); } dl.fields dd { margin: 0; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
        footer { padding: 0 1.5rem 1.5rem; color: var(--muted); font-size: 0.85rem; }
        .signin { max-width: 26rem; margin: 4rem auto; } .signin label { display: flex; flex-direction: column; gap: 0.3rem; margin: 1rem 0; }
        """

    /// Live updates: one EventSource on `/v1/stream` with the page's own query; each message
    /// replaces the fragments it names. The page works without it.
    static let script = """
        (function () {
          if (!window.EventSource) return;
          var live = document.getElementById("live");
          var source = new EventSource("/v1/stream" + window.location.search);
          source.addEventListener("update", function (message) {
            var parts = JSON.parse(message.data);
            for (var id in parts) { var element = document.getElementById(id); if (element) element.innerHTML = parts[id]; }
            if (live) live.textContent = "Live · updated " + new Date().toLocaleTimeString();
          });
          source.onopen = function () { if (live) live.textContent = "Live"; };
          source.onerror = function () { if (live) live.textContent = "Live updates interrupted; reconnecting…"; };
        })();
        """
}
