package devoidc

import (
	"html/template"
	"net/http"
)

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Development identity provider</title><link rel="stylesheet" href="style.css"></head>
<body><main>
<p class="tag">Development identity provider · not for production</p>
<h1>{{.Title}}</h1>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
{{if .Message}}<p>{{.Message}}</p>{{end}}
{{if .Users}}
<form method="post" action="authorize">
<fieldset><legend>Sign in as</legend>
{{range $i, $u := .Users}}<label class="user"><input type="radio" name="user" value="{{$u.ID}}"{{if eq $i 0}} checked{{end}}>
<span><strong>{{$u.Name}}</strong> ({{$u.ID}})<br><small>{{$u.Description}}</small></span></label>
{{end}}</fieldset>
<input type="hidden" name="response_type" value="code">
<input type="hidden" name="code_challenge_method" value="S256">
<input type="hidden" name="client_id" value="{{.Req.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{.Req.RedirectURI}}">
<input type="hidden" name="state" value="{{.Req.State}}">
<input type="hidden" name="nonce" value="{{.Req.Nonce}}">
<input type="hidden" name="code_challenge" value="{{.Req.Challenge}}">
<input type="hidden" name="scope" value="{{.Req.Scope}}">
<button type="submit">Sign in</button>
</form>{{end}}
</main></body></html>`))

type pageData struct {
	Title, Error, Message string
	Users                 []User
	Req                   authRequest
}

func render(w http.ResponseWriter, status int, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	pageTmpl.Execute(w, d)
}

func renderLogin(w http.ResponseWriter, status int, users []User, ar authRequest, errMsg string) {
	render(w, status, pageData{Title: "Sign in to the accounting portal", Users: users, Req: ar, Error: errMsg})
}

func renderError(w http.ResponseWriter, status int, msg string) {
	render(w, status, pageData{Title: "Sign-in request refused", Error: msg})
}

func renderMessage(w http.ResponseWriter, status int, title, msg string) {
	render(w, status, pageData{Title: title, Message: msg})
}

const style = `body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#1d2430;margin:0}
main{max-width:28rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:.5rem;box-shadow:0 1px 3px #0002}
.tag{font-size:.8rem;color:#8a4b00;background:#fff4e0;padding:.25rem .5rem;border-radius:.25rem;display:inline-block}
fieldset{border:0;padding:0;margin:1rem 0}legend{font-weight:600;margin-bottom:.5rem}
.user{display:flex;gap:.75rem;align-items:flex-start;padding:.6rem;border:1px solid #d0d5dd;border-radius:.4rem;margin:.4rem 0;cursor:pointer}
.user:focus-within{outline:2px solid #1f5fbf}small{color:#555}
button{background:#1f5fbf;color:#fff;border:0;padding:.6rem 1.2rem;border-radius:.4rem;font-size:1rem;cursor:pointer}
button:focus{outline:3px solid #9bbcf0}.error{color:#a40000;background:#fdecec;padding:.5rem;border-radius:.25rem}`

func handleStyle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Write([]byte(style))
}
