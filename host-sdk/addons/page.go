package addons

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/quazzar/object-storage/host-sdk/manifest"
	"github.com/quazzar/object-storage/host-sdk/panel"
	"github.com/quazzar/object-storage/shared"
)

// The Add-ons page, at System → Add-ons.
const (
	PageID    = "addons"
	PageRoute = "/system/addons"
	PageTitle = "Add-ons"
	PageMenu  = "System"
)

// The Add-ons page's row actions.
const (
	ActionDisable   = "disable"
	ActionEnable    = "enable"
	ActionRetry     = "retry"
	ActionUninstall = "uninstall"
	ActionPurge     = "purge"
)

var pageActions = []string{ActionDisable, ActionEnable, ActionRetry, ActionUninstall, ActionPurge}

// PagePlugin is the Add-ons page as the panel lists it.
func (m *Manager) PagePlugin() panel.Plugin {
	return panel.Plugin{ID: PageID, Title: PageTitle, Route: PageRoute, Menu: PageMenu, Provider: pageProvider{m}}
}

// pageProvider serves the Add-ons page from the manager's state.
type pageProvider struct{ m *Manager }

func (p pageProvider) Page(ctx context.Context, req shared.PageRequest) (shared.Page, error) {
	list := p.m.List()
	held := map[string][]Holdings{}
	for _, a := range list {
		if h := p.m.Holdings(ctx, a.ID); len(h) > 0 {
			held[a.ID] = h
		}
	}
	return BuildPageWith(list, held), nil
}

func (p pageProvider) Action(ctx context.Context, req shared.ActionRequest) (shared.ActionResult, error) {
	msg, err := p.m.pageAction(ctx, req)
	if err != nil {
		res, _ := panel.ErrorResult(err)
		return res, nil
	}
	return shared.ActionResult{OK: true, Message: msg, Refresh: true}, nil
}

func (p pageProvider) State(ctx context.Context, req shared.StateRequest) (shared.StateResponse, error) {
	list := p.m.List()
	if list == nil {
		list = []Info{}
	}
	b, err := json.Marshal(map[string]any{"addons": list})
	return shared.StateResponse{Document: b}, err
}

// BuildPage is the Add-ons page for a list of add-ons: a pure function.
func BuildPage(list []Info) shared.Page { return BuildPageWith(list, nil) }

// BuildPageWith is the Add-ons page for a list of add-ons and what each
// made on the storage providers (by plugin id): its uninstall dialog
// names that and offers to revoke its keys and delete its buckets.
func BuildPageWith(list []Info, held map[string][]Holdings) shared.Page {
	t := &shared.Table{
		Columns: []shared.Column{
			{ID: "name", Label: "Add-on"}, {ID: "version", Label: "Version"}, {ID: "state", Label: "State"},
			{ID: "pid", Label: "PID"}, {ID: "restarts", Label: "Restarts"},
		},
		Empty: "No add-on is installed. Install one from its bundle below.",
	}
	for _, a := range list {
		in := func(extra ...string) json.RawMessage {
			v := map[string]string{"id": a.ID}
			if len(extra) == 2 {
				v[extra[0]] = extra[1]
			}
			b, _ := json.Marshal(v)
			return b
		}
		row := shared.Row{ID: a.ID, Cells: map[string]shared.Cell{
			"name":     {Text: a.Name, Hint: a.ID},
			"version":  {Text: a.Version},
			"state":    {Text: string(a.State), Hint: a.Reason},
			"pid":      {Text: orDash(a.PID)},
			"restarts": {Text: fmt.Sprint(a.Restarts)},
		}}
		switch a.State {
		case StateDisabled:
			row.Actions = append(row.Actions, shared.RowAction{Action: ActionEnable, Label: "Enable", Input: in()})
		case "failed":
			row.Actions = append(row.Actions, shared.RowAction{Action: ActionRetry, Label: "Retry", Input: in()},
				shared.RowAction{Action: ActionDisable, Label: "Disable", Input: in()})
		default:
			row.Actions = append(row.Actions, shared.RowAction{Action: ActionDisable, Label: "Disable", Input: in(),
				Confirm: "Disable " + a.Name + "? It stops, with what it supervises; its data and settings are kept, and Enable brings it back."})
		}
		heldText, choices := uninstallChoices(held[a.ID])
		row.Actions = append(row.Actions,
			shared.RowAction{Action: ActionUninstall, Label: "Uninstall", Danger: true, Input: in(), Choices: choices,
				Confirm: "Uninstall " + a.Name + "? It stops and its folder is removed; its data and settings are kept for a reinstall." + heldText},
			shared.RowAction{Action: ActionPurge, Label: "Uninstall and delete data", Danger: true, Input: in(),
				Prompt: &shared.Prompt{Text: "Uninstall " + a.Name + " and delete its data? This cannot be undone: everything it stored is deleted.",
					Expect: a.ID, Field: "purge"}})
		t.Rows = append(t.Rows, row)
	}
	return shared.Page{
		SchemaVersion: shared.SchemaVersion, Title: PageTitle, Route: PageRoute, RefreshSeconds: 5,
		Sections: []shared.Section{
			{ID: "addons", Kind: shared.SectionTable, Title: "Installed add-ons",
				Description: "Each add-on runs as its own process, supervised by the host: restarted when it fails (failed after 3 failures within 60 minutes), upgraded without stopping what it serves.",
				Table:       t},
			{ID: "install", Kind: shared.SectionForm, Title: "Install or upgrade",
				Description: "Upload an add-on's bundle (.tar.gz, as make bundle writes it). A bundle of an installed add-on upgrades it; if the new version does not start and answer in time, the old one is put back.",
				Form: &shared.Form{Action: "install", Submit: "Install", Post: "/api/addons/install", Fields: []shared.Field{
					{Name: "bundle", Label: "Bundle", Type: shared.FieldFile, Required: true, Accept: ".tar.gz,.tgz,application/gzip"},
					{Name: "force", Label: "Allow a downgrade or a reinstall of the same version", Type: shared.FieldCheckbox},
				}}},
		},
	}
}

func orDash(pid int) string {
	if pid == 0 {
		return "—"
	}
	return fmt.Sprint(pid)
}

// SettingsSection is the Settings form the host adds to a plugin's page,
// from its manifest's settings and the values the host keeps: saving
// posts them to the host, which calls the plugin's Configure.
func SettingsSection(man manifest.Manifest, values map[string]string) shared.Section {
	cur, _ := man.Overlay(values)
	var fields []shared.Field
	for _, s := range man.Settings {
		label := s.Label
		if label == "" {
			label = s.Key
		}
		help := s.Description
		switch s.Apply {
		case manifest.ApplyLive:
			help += " Applies live, nothing restarts."
		case manifest.ApplyRestart:
			help += " Changing it restarts what " + man.Name + " supervises (you are asked first)."
		}
		f := shared.Field{Name: s.Key, Label: label, Type: shared.FieldText, Default: cur[s.Key], Help: help}
		if s.Type == manifest.SettingSelect {
			f.Type = shared.FieldSelect
			for _, o := range s.Options {
				text := o
				if o == "" {
					text = "(default)"
				}
				f.Options = append(f.Options, shared.Option{Value: o, Label: text})
			}
		}
		fields = append(fields, f)
	}
	return shared.Section{
		ID: "host-settings", Kind: shared.SectionForm, Title: "Settings",
		Description: "Kept by the host across restarts and upgrades.",
		Form:        &shared.Form{Action: "settings", Submit: "Save settings", Post: "/api/addons/" + man.ID + "/settings", Fields: fields},
	}
}
