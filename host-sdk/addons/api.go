package addons

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/quazzar/object-storage/host-sdk/bundle"
	"github.com/quazzar/object-storage/host-sdk/panel"
	"github.com/quazzar/object-storage/shared"
)

// ConfirmRestartField is the input field that confirms a settings change
// the plugin can only apply with a restart; no plugin setting may use it.
const ConfirmRestartField = "confirm_restart"

// Register serves the add-ons' JSON API on a panel (behind its
// cross-origin protection):
//
//	GET  /api/addons                          [{id, name, version, state, reason, pid, restarts, ...}]
//	POST /api/addons/install[?force=1]        body: a bundle (.tar.gz); installs, or upgrades the plugin with its id
//	POST /api/addons/{id}/disable|enable|retry
//	POST /api/addons/{id}/uninstall[?purge=<id>][&revoke_keys=1][&delete_buckets=1]
//	     purge deletes its data (the id typed again); revoke_keys and delete_buckets release what it made on the storage providers
//	GET  /api/addons/{id}/holdings            [{provider, keys, buckets}]: what it made on the storage providers
//	GET  /api/addons/{id}/settings            the host's values for its settings
//	POST /api/addons/{id}/settings            {key: value, ..., "confirm_restart": false}
//
// Answers are shared.ActionResult (with "addon" for install), errors with
// the HTTP status of their code.
func Register(ph *panel.Handler, m *Manager) {
	ph.Handle("GET /api/addons", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		list := m.List()
		if list == nil {
			list = []Info{}
		}
		panel.WriteJSON(w, http.StatusOK, list)
	}))
	ph.Handle("POST /api/addons/install", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := m.opts.Limits.MaxCompressedBytes
		if limit <= 0 {
			limit = bundle.DefaultLimits.MaxCompressedBytes
		}
		body := http.MaxBytesReader(w, r.Body, limit+1)
		info, err := m.Install(r.Context(), body, r.URL.Query().Get("force") == "1")
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			err = shared.Errorf(shared.CodeInvalidArgument, "the bundle is larger than the host's limit of %d bytes: check that this is the right file", limit)
		}
		if err != nil {
			fail(w, err)
			return
		}
		panel.WriteJSON(w, http.StatusOK, installResult{
			ActionResult: shared.ActionResult{OK: true, Refresh: true,
				Message: fmt.Sprintf("%s %s is installed and %s.", info.Name, info.Version, info.State)},
			Addon: info,
		})
	}))
	ph.Handle("POST /api/addons/{id}/{op}", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, op := r.PathValue("id"), r.PathValue("op")
		var msg string
		var err error
		switch op {
		case "disable":
			err, msg = m.Disable(r.Context(), id), "Plugin "+id+" is disabled: stopped with its services, data kept."
		case "enable":
			err, msg = m.Enable(r.Context(), id), "Plugin "+id+" is enabled."
		case "retry":
			err, msg = m.Retry(r.Context(), id), "Plugin "+id+" is starting again."
		case "uninstall":
			purge := r.URL.Query().Get("purge")
			if purge != "" && purge != id {
				err = shared.FieldError("purge", "to delete plugin %s's data, type its id (%s) exactly; nothing was removed", id, id)
				break
			}
			q := r.URL.Query()
			var released string
			released, err = m.UninstallWith(r.Context(), id, UninstallOptions{Purge: purge != "",
				RevokeKeys: q.Get("revoke_keys") == "1", DeleteBuckets: q.Get("delete_buckets") == "1"})
			msg = uninstalledMessage(id, purge != "", released)
		case "settings":
			res, status := configure(r, m, id)
			panel.WriteJSON(w, status, res)
			return
		default:
			err = shared.Errorf(shared.CodeNotFound, "there is no add-on operation %q: use disable, enable, retry, uninstall or settings", op)
		}
		if err != nil {
			fail(w, err)
			return
		}
		panel.WriteJSON(w, http.StatusOK, shared.ActionResult{OK: true, Message: msg, Refresh: true})
	}))
	ph.Handle("GET /api/addons/{id}/holdings", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := m.Manifest(r.PathValue("id")); !ok {
			fail(w, shared.Errorf(shared.CodeNotFound, "no plugin %q is installed", r.PathValue("id")))
			return
		}
		held := m.Holdings(r.Context(), r.PathValue("id"))
		if held == nil {
			held = []Holdings{}
		}
		panel.WriteJSON(w, http.StatusOK, held)
	}))
	ph.Handle("GET /api/addons/{id}/settings", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		man, ok := m.Manifest(r.PathValue("id"))
		if !ok {
			fail(w, shared.Errorf(shared.CodeNotFound, "no plugin %q is installed", r.PathValue("id")))
			return
		}
		values, _ := man.Overlay(m.Settings(man.ID))
		panel.WriteJSON(w, http.StatusOK, values)
	}))
}

type installResult struct {
	shared.ActionResult
	Addon Info `json:"addon"`
}

// configure answers POST /api/addons/{id}/settings.
func configure(r *http.Request, m *Manager, id string) (shared.ActionResult, int) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return panel.ErrorResult(shared.Errorf(shared.CodeInvalidArgument, "could not read the request body: %v", err))
	}
	var in map[string]any
	if err := json.Unmarshal(raw, &in); err != nil {
		return panel.ErrorResult(shared.Errorf(shared.CodeInvalidArgument, "the settings must be a JSON object of setting names to values: %v", err))
	}
	confirm := false
	values := map[string]string{}
	for k, v := range in {
		switch x := v.(type) {
		case bool:
			if k == ConfirmRestartField {
				confirm = x
				continue
			}
			values[k] = fmt.Sprint(x)
		case string:
			values[k] = strings.TrimSpace(x)
		case float64:
			values[k] = fmt.Sprint(x)
		default:
			return panel.ErrorResult(shared.FieldError(k, "setting %s must be a string", k))
		}
	}
	resp, err := m.Configure(r.Context(), id, values, confirm)
	if err != nil {
		res, status := panel.ErrorResult(err)
		if shared.CodeOf(err) == shared.CodeNeedsRestart {
			res.Retry = &shared.Retry{Confirm: shared.AsError(err).Message + " Restart now?", Field: ConfirmRestartField, OK: "Restart and apply"}
		}
		return res, status
	}
	msg := "Settings saved."
	switch {
	case resp.Restarted:
		msg = "Settings saved; the service restarted to apply them."
	case len(resp.AppliedLive) > 0:
		msg = "Settings saved and applied live: " + strings.Join(resp.AppliedLive, ", ") + "."
	}
	return shared.ActionResult{OK: true, Message: msg, Refresh: true}, http.StatusOK
}

// uninstalledMessage says what an uninstall did.
func uninstalledMessage(id string, purged bool, released string) string {
	msg := "Plugin " + id + " is uninstalled; its data is kept."
	if purged {
		msg = "Plugin " + id + " is uninstalled and its data deleted."
	}
	if released != "" {
		msg += " Also " + released + "."
	}
	return msg
}

func fail(w http.ResponseWriter, err error) {
	res, status := panel.ErrorResult(err)
	panel.WriteJSON(w, status, res)
}

// pageActions runs the Add-ons page's row buttons (the page's own actions
// go through the panel's action route like any plugin's).
func (m *Manager) pageAction(ctx context.Context, req shared.ActionRequest) (string, error) {
	var in struct {
		ID            string `json:"id"`
		Purge         string `json:"purge"`
		RevokeKeys    bool   `json:"revoke_keys"`
		DeleteBuckets bool   `json:"delete_buckets"`
	}
	if len(req.Input) > 0 {
		if err := json.Unmarshal(req.Input, &in); err != nil {
			return "", shared.Errorf(shared.CodeInvalidArgument, "the input must be {\"id\": ...}: %v", err)
		}
	}
	if in.ID == "" {
		return "", shared.FieldError("id", "id is required: which add-on?")
	}
	switch req.Action {
	case ActionDisable:
		return "Plugin " + in.ID + " is disabled: stopped with its services, data kept.", m.Disable(ctx, in.ID)
	case ActionEnable:
		return "Plugin " + in.ID + " is enabled.", m.Enable(ctx, in.ID)
	case ActionRetry:
		return "Plugin " + in.ID + " is starting again.", m.Retry(ctx, in.ID)
	case ActionUninstall:
		released, err := m.UninstallWith(ctx, in.ID, UninstallOptions{RevokeKeys: in.RevokeKeys, DeleteBuckets: in.DeleteBuckets})
		return uninstalledMessage(in.ID, false, released), err
	case ActionPurge:
		if in.Purge != in.ID {
			return "", shared.FieldError("purge", "to delete plugin %s's data, type its id (%s) exactly; nothing was removed", in.ID, in.ID)
		}
		return "Plugin " + in.ID + " is uninstalled and its data deleted.", m.Uninstall(ctx, in.ID, true)
	}
	return "", shared.Errorf(shared.CodeInvalidArgument, "unknown action %q: the actions are %s", req.Action, strings.Join(pageActions, ", "))
}
