package panel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"time"

	"github.com/quazzar/object-storage/shared"
)

// actionID is what an action id may look like in a path.
var actionID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// servePageJSON answers GET /api/plugins/{id}/page: the page's schema.
func (h *Handler) servePageJSON(w http.ResponseWriter, r *http.Request) {
	if _, page, ok := h.loadPage(w, r); ok {
		WriteJSON(w, http.StatusOK, page)
	}
}

// loadPage finds the plugin of the request and asks it for its page; on
// failure it has answered with a JSON error.
func (h *Handler) loadPage(w http.ResponseWriter, r *http.Request) (Plugin, shared.Page, bool) {
	p, ok := h.lookup(w, r)
	if !ok {
		return Plugin{}, shared.Page{}, false
	}
	page, err := h.page(r.Context(), p, r.URL.Query())
	if err != nil {
		res, status := ErrorResult(err)
		WriteJSON(w, status, res)
		return Plugin{}, shared.Page{}, false
	}
	return p, page, true
}

// serveState answers GET /api/plugins/{id}/state: the plugin's own JSON
// document of what its page shows (PageProvider.State), with the query's
// parameters passed on.
func (h *Handler) serveState(w http.ResponseWriter, r *http.Request) {
	p, ok := h.lookup(w, r)
	if !ok {
		return
	}
	if p.Provider == nil {
		WriteJSON(w, http.StatusServiceUnavailable, shared.ActionResult{Code: shared.CodeUnavailable,
			Message: fmt.Sprintf("plugin %q is not running: start it (or check the host's log for why it stopped)", p.ID)})
		return
	}
	query := firstValues(r.URL.Query())
	if query == nil {
		query = map[string]string{}
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.CallTimeout)
	defer cancel()
	res, err := p.Provider.State(ctx, shared.StateRequest{Query: query})
	if err != nil {
		out, status := ErrorResult(err)
		WriteJSON(w, status, out)
		return
	}
	if !json.Valid(res.Document) {
		WriteJSON(w, http.StatusBadGateway, shared.ActionResult{Code: shared.CodeInternal,
			Message: fmt.Sprintf("plugin %q answered its state with invalid JSON", p.ID)})
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(bytes.TrimSpace(res.Document), '\n'))
}

// serveFragment answers GET /api/plugins/{id}/fragment: the page's content
// as HTML, which the page swaps in when it refreshes. Errors are JSON, so
// that the page keeps what it shows and says why it could not refresh.
func (h *Handler) serveFragment(w http.ResponseWriter, r *http.Request) {
	if p, page, ok := h.loadPage(w, r); ok {
		h.writeHTML(w, http.StatusOK, "content", contentOf(p, page, r.URL.Query()))
	}
}

// serveAction answers POST /api/plugins/{id}/actions/{action}: the body is
// the action's JSON input (an object; empty means {}), the answer its
// shared.ActionResult.
func (h *Handler) serveAction(w http.ResponseWriter, r *http.Request) {
	p, ok := h.lookup(w, r)
	if !ok {
		return
	}
	action := r.PathValue("action")
	if !actionID.MatchString(action) {
		WriteJSON(w, http.StatusBadRequest, shared.ActionResult{Code: shared.CodeInvalidArgument,
			Message: fmt.Sprintf("action id %q is not valid: use letters, digits, '_', '.' and '-' (at most 64)", action)})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			WriteJSON(w, http.StatusRequestEntityTooLarge, shared.ActionResult{Code: shared.CodeInvalidArgument,
				Message: fmt.Sprintf("the request body is larger than the panel's limit of %d bytes: send less input", tooBig.Limit)})
			return
		}
		WriteJSON(w, http.StatusBadRequest, shared.ActionResult{Code: shared.CodeInvalidArgument,
			Message: fmt.Sprintf("could not read the request body: %v", err)})
		return
	}
	input := bytes.TrimSpace(body)
	if len(input) == 0 {
		input = []byte("{}")
	}
	if !isJSONObject(input) {
		WriteJSON(w, http.StatusBadRequest, shared.ActionResult{Code: shared.CodeInvalidArgument,
			Message: `the action's input must be a JSON object, like {"name": "photos"}`})
		return
	}
	if p.Provider == nil {
		WriteJSON(w, http.StatusServiceUnavailable, shared.ActionResult{Code: shared.CodeUnavailable,
			Message: fmt.Sprintf("plugin %q is not running: start it (or check the host's log for why it stopped)", p.ID)})
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), h.opts.CallTimeout)
	defer cancel()
	start := time.Now()
	res, err := p.Provider.Action(ctx, shared.ActionRequest{Action: action, Input: input})
	took := time.Since(start)
	if err != nil {
		res, status := ErrorResult(err)
		h.log.Info("action failed", "plugin", p.ID, "action", action, "code", res.Code, "status", status, "took", took)
		WriteJSON(w, status, res)
		return
	}
	status := http.StatusOK
	if !res.OK {
		status = http.StatusBadRequest
		if res.Code != "" {
			status = StatusOf(res.Code)
		}
	}
	h.log.Info("action", "plugin", p.ID, "action", action, "ok", res.OK, "code", res.Code, "status", status, "took", took)
	WriteJSON(w, status, res)
}

// lookup finds the {id} plugin or answers 404.
func (h *Handler) lookup(w http.ResponseWriter, r *http.Request) (Plugin, bool) {
	id := r.PathValue("id")
	p, ok := h.plugin(id)
	if !ok {
		WriteJSON(w, http.StatusNotFound, shared.ActionResult{Code: shared.CodeNotFound,
			Message: fmt.Sprintf("no plugin %q has a page in this panel: check the plugin id (GET / lists the pages)", id)})
	}
	return p, ok
}

// WriteJSON writes v as the JSON answer with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"ok":false,"code":"internal","message":"the panel could not encode its answer"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
