package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
)

// TokenCookie is the cookie that carries the token of a browser that opened
// a page of the web UI with ?token=TOKEN: a browser cannot send a Bearer
// header when it follows a link.
const TokenCookie = "nnergy_token"

// cookieValue is the value of TokenCookie for token: a digest of it, so
// that the browser's cookie jar does not hold the token itself.
func cookieValue(token string) string {
	sum := sha256.Sum256([]byte("nnergy web UI cookie\x00" + token))
	return hex.EncodeToString(sum[:])
}

// authorize checks a request's token: "Authorization: Bearer TOKEN", or
// TokenCookie. A GET of a page of the web UI with ?token=TOKEN gets the
// cookie (HttpOnly, SameSite=Strict) and a redirect to the same URL
// without the token. It writes the 401 (or the redirect) and returns false
// when the request goes no further.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) bool {
	same := func(got, want string) bool { return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1 }
	if got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		if same(got, s.cfg.Token) {
			return true
		}
	} else if c, err := r.Cookie(TokenCookie); err == nil && same(c.Value, cookieValue(s.cfg.Token)) {
		return true
	} else if q := r.URL.Query(); r.Method == http.MethodGet && !isAPI(r.URL.Path) && q.Has("token") && same(q.Get("token"), s.cfg.Token) {
		http.SetCookie(w, &http.Cookie{Name: TokenCookie, Value: cookieValue(s.cfg.Token), Path: "/", HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
		q.Del("token")
		u := *r.URL
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
		return false
	}
	if isAPI(r.URL.Path) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="nnergy"`)
		writeError(w, http.StatusUnauthorized, "server: missing or wrong token (Authorization: Bearer TOKEN)")
	} else {
		writeErrorPage(w, http.StatusUnauthorized, "server: missing or wrong token: open this page once with ?token=TOKEN (the token nnergy serve was given) and the browser keeps it in a cookie")
	}
	return false
}
