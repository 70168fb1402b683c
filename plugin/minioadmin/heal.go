package minioadmin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/quazzar/object-storage/shared"
)

// healOpts is the body of MinIO's heal call (what `mc admin heal -r`
// sends): every bucket and object, a normal scan (1; a deep scan, 2,
// also reads every part for bitrot).
type healOpts struct {
	Recursive bool `json:"recursive"`
	ScanMode  int  `json:"scanMode"`
}

// Heal summaries MinIO reports.
const (
	HealRunning  = "running"
	HealFinished = "finished"
	HealStopped  = "stopped"
)

// HealStatus is what a heal sequence reports when its results are read.
type HealStatus struct {
	// Summary is HealRunning, HealFinished or HealStopped.
	Summary string
	// Detail is why it stopped, if it did.
	Detail string
	// Items is how many buckets and objects it reported since the last
	// read; Unreached how many of them still lack a copy on a drive
	// after their heal, or had a drive offline to it (a node that came
	// back and is not reconnected yet in this node's view).
	Items, Unreached int
}

// Ended says whether the sequence is over.
func (h HealStatus) Ended() bool { return h.Summary != HealRunning && h.Summary != "" }

// StartHeal asks MinIO to heal every bucket and object of the
// deployment in the background (POST /minio/admin/v3/heal/), as after a
// node or drive that was offline comes back: MinIO rewrites on it what
// was written while it was away. It returns at once with the sequence's
// token, which HealStatus needs: MinIO pauses a sequence whose results
// nobody reads once 1,000 are waiting. A sequence already running is not
// an error: the token is empty then. A single-drive MinIO has no heal
// call.
func (c *Client) StartHeal(ctx context.Context) (token string, err error) {
	const op = "start healing"
	body, err := json.Marshal(healOpts{Recursive: true, ScanMode: 1})
	if err != nil {
		return "", shared.Errorf(shared.CodeInternal, "%s: %w", op, err)
	}
	r, err := c.call(ctx, op, http.MethodPost, "/heal/", nil, body)
	if err != nil {
		if isCode(err, "XMinioHealAlreadyRunning") {
			return "", nil
		}
		return "", err
	}
	var started struct {
		ClientToken string `json:"clientToken"`
	}
	if err := json.Unmarshal(r.body, &started); err != nil || started.ClientToken == "" {
		return "", shared.Errorf(shared.CodeInternal, "%s: MinIO's answer has no heal token (%d bytes)", op, len(r.body))
	}
	return started.ClientToken, nil
}

// HealStatus reads (and so releases) the results of the heal sequence
// StartHeal began.
func (c *Client) HealStatus(ctx context.Context, token string) (HealStatus, error) {
	const op = "read the healing's progress"
	r, err := c.call(ctx, op, http.MethodPost, "/heal/", url.Values{"clientToken": {token}}, nil)
	if err != nil {
		return HealStatus{}, err
	}
	var doc struct {
		Summary string `json:"Summary"`
		Detail  string `json:"Detail"`
		Items   []struct {
			After struct {
				Drives []struct {
					State string `json:"state"`
				} `json:"drives"`
			} `json:"after"`
		} `json:"Items"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		return HealStatus{}, shared.Errorf(shared.CodeInternal, "%s: MinIO's answer is not a heal status: %w", op, err)
	}
	st := HealStatus{Summary: doc.Summary, Detail: doc.Detail, Items: len(doc.Items)}
	for _, it := range doc.Items {
		for _, d := range it.After.Drives {
			if d.State == "offline" || d.State == "missing" {
				st.Unreached++
				break
			}
		}
	}
	return st, nil
}
