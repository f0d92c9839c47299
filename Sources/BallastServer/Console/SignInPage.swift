/// The console's sign-in form, for a daemon whose reads need a token (it listens on a
/// non-loopback address).
enum SignInPage {
    static func document(next: String, error: String?) -> String {
        ConsoleLayout.document(title: "Sign in · Ballast", body: """
            <main class="signin">
              <section aria-labelledby="signin-heading">
                <h1 id="signin-heading">Ballast</h1>
                <p>This daemon needs a read token to show its status (made with <code>ballast token create</code>, or given with <code>--read-token-file</code>).</p>
                \(error.map { "<div class=\"alert bad\" role=\"alert\">\(HTML.escape($0))</div>" } ?? "")
                <form method="post" action="/signin">
                  <input type="hidden" name="next" value="\(HTML.escape(next))">
                  <label>Token <input name="token" type="password" autocomplete="current-password" required autofocus></label>
                  <button type="submit">Sign in</button>
                </form>
              </section>
            </main>
            """)
    }
}
