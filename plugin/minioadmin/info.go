package minioadmin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/quazzar/object-storage/shared"
)

// ServerInfo is what MinIO says about itself (GET /info), reduced to what
// the add-on shows.
type ServerInfo struct {
	Mode         string // "online" once the object layer is up
	Region       string
	DeploymentID string
	Buckets      uint64 // as of MinIO's last scan
	Objects      uint64 // as of MinIO's last scan
	UsageBytes   uint64 // as of MinIO's last scan
	Servers      []ServerProperties
	// Backend is MinIO's erasure coding: zero before its object layer is up.
	Backend Backend
}

// Backend is how MinIO keeps data across its drives.
type Backend struct {
	Type          string // "Erasure"
	OnlineDrives  int
	OfflineDrives int
	// StandardParity is the parity drives of the STANDARD storage class
	// (every object unless a client asks for another class): of each
	// erasure set's drives, this many hold parity.
	StandardParity int
	// ReducedParity is that of REDUCED_REDUNDANCY.
	ReducedParity int
	// Sets and DrivesPerSet are per pool: how many erasure sets, of how
	// many drives each.
	Sets         []int
	DrivesPerSet []int
}

// ServerProperties describes one MinIO server of the deployment.
type ServerProperties struct {
	Endpoint string
	State    string // "online", "offline"
	Version  string // e.g. "DEVELOPMENT.GOGET" or "2025-…"
	CommitID string
	Uptime   time.Duration
	Drives   []Drive
}

// Drive is one drive of a server as MinIO sees it.
type Drive struct {
	Endpoint string // the drive as MinIO names it (its path on a single node)
	Path     string // the mount path
	// State is MinIO's word for it: "ok", "offline", "unformatted",
	// "faulty", "root-drive", …
	State     string
	Total     uint64 // bytes
	Used      uint64 // bytes
	Available uint64 // bytes free for MinIO
	Healing   bool
	// PoolIndex, SetIndex and DiskIndex place the drive in the layout
	// (-1 until MinIO has placed it; an offline drive may have none).
	PoolIndex, SetIndex, DiskIndex int
	// Heal is the progress of a drive MinIO heals (a new or replaced
	// drive), nil otherwise.
	Heal *HealProgress
}

// HealProgress is what MinIO reports of a drive it heals.
type HealProgress struct {
	Started, LastUpdate time.Time
	// ObjectsTotal and BytesTotal are what the set held when the heal
	// began, as far as MinIO knew.
	ObjectsTotal, BytesTotal uint64
	ItemsHealed, ItemsFailed uint64
	BytesDone, BytesFailed   uint64
	Finished                 bool
}

// ServerInfo returns MinIO's server information, with each server's
// drives (path, state, space). One unencrypted call.
func (c *Client) ServerInfo(ctx context.Context) (ServerInfo, error) {
	const op = "get MinIO server info"
	r, err := c.call(ctx, op, http.MethodGet, "/info", url.Values{"metrics": {"false"}}, nil)
	if err != nil {
		return ServerInfo{}, err
	}
	var msg struct {
		Mode         string `json:"mode"`
		Region       string `json:"region"`
		DeploymentID string `json:"deploymentID"`
		Buckets      struct {
			Count uint64 `json:"count"`
		} `json:"buckets"`
		Objects struct {
			Count uint64 `json:"count"`
		} `json:"objects"`
		Usage struct {
			Size uint64 `json:"size"`
		} `json:"usage"`
		Servers []struct {
			State    string `json:"state"`
			Endpoint string `json:"endpoint"`
			Uptime   int64  `json:"uptime"` // seconds
			Version  string `json:"version"`
			CommitID string `json:"commitID"`
			Drives   []struct {
				Endpoint  string `json:"endpoint"`
				Path      string `json:"path"`
				State     string `json:"state"`
				Total     uint64 `json:"totalspace"`
				Used      uint64 `json:"usedspace"`
				Available uint64 `json:"availspace"`
				Healing   bool   `json:"healing"`
				PoolIndex *int   `json:"pool_index"`
				SetIndex  *int   `json:"set_index"`
				DiskIndex *int   `json:"disk_index"`
				HealInfo  *struct {
					Started      time.Time `json:"started"`
					LastUpdate   time.Time `json:"last_update"`
					ObjectsTotal uint64    `json:"objects_total_count"`
					BytesTotal   uint64    `json:"objects_total_size"`
					ItemsHealed  uint64    `json:"items_healed"`
					ItemsFailed  uint64    `json:"items_failed"`
					BytesDone    uint64    `json:"bytes_done"`
					BytesFailed  uint64    `json:"bytes_failed"`
					Finished     bool      `json:"finished"`
				} `json:"heal_info"`
			} `json:"drives"`
		} `json:"servers"`
		Backend struct {
			Type          string `json:"backendType"`
			OnlineDisks   int    `json:"onlineDisks"`
			OfflineDisks  int    `json:"offlineDisks"`
			StandardSC    int    `json:"standardSCParity"`
			RRSC          int    `json:"rrSCParity"`
			TotalSets     []int  `json:"totalSets"`
			DrivesPerSets []int  `json:"totalDrivesPerSet"`
		} `json:"backend"`
	}
	if err := json.Unmarshal(r.body, &msg); err != nil {
		return ServerInfo{}, shared.Errorf(shared.CodeInternal, "%s: MinIO's reply is not the expected JSON: %w", op, err)
	}
	info := ServerInfo{
		Mode:         msg.Mode,
		Region:       msg.Region,
		DeploymentID: msg.DeploymentID,
		Buckets:      msg.Buckets.Count,
		Objects:      msg.Objects.Count,
		UsageBytes:   msg.Usage.Size,
		Backend: Backend{
			Type: msg.Backend.Type, OnlineDrives: msg.Backend.OnlineDisks, OfflineDrives: msg.Backend.OfflineDisks,
			StandardParity: msg.Backend.StandardSC, ReducedParity: msg.Backend.RRSC,
			Sets: msg.Backend.TotalSets, DrivesPerSet: msg.Backend.DrivesPerSets,
		},
	}
	for _, s := range msg.Servers {
		sp := ServerProperties{
			Endpoint: s.Endpoint,
			State:    s.State,
			Version:  s.Version,
			CommitID: s.CommitID,
			Uptime:   time.Duration(s.Uptime) * time.Second,
		}
		for _, d := range s.Drives {
			dr := Drive{Endpoint: d.Endpoint, Path: d.Path, State: d.State, Total: d.Total, Used: d.Used,
				Available: d.Available, Healing: d.Healing,
				PoolIndex: index(d.PoolIndex), SetIndex: index(d.SetIndex), DiskIndex: index(d.DiskIndex)}
			if h := d.HealInfo; h != nil {
				dr.Heal = &HealProgress{Started: h.Started, LastUpdate: h.LastUpdate, ObjectsTotal: h.ObjectsTotal,
					BytesTotal: h.BytesTotal, ItemsHealed: h.ItemsHealed, ItemsFailed: h.ItemsFailed,
					BytesDone: h.BytesDone, BytesFailed: h.BytesFailed, Finished: h.Finished}
			}
			sp.Drives = append(sp.Drives, dr)
		}
		info.Servers = append(info.Servers, sp)
	}
	return info, nil
}

// index is a drive's place as MinIO sends it; -1 when absent.
func index(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

// DataUsage is the result of MinIO's data-usage scanner.
type DataUsage struct {
	// LastUpdate is when the scanner last saved its figures; zero when it
	// has not completed a cycle yet. Every figure below is as of that time.
	LastUpdate time.Time
	Objects    uint64 // objects in all buckets (a versioned object counts once)
	Size       uint64 // bytes in all buckets, every version included
	// Buckets holds one entry per bucket the scanner has swept. A bucket
	// that exists but is missing here has not been scanned yet.
	Buckets map[string]BucketUsage
}

// BucketUsage is one bucket's figures from the scanner.
type BucketUsage struct {
	Size          uint64 // bytes, every stored version included
	Objects       uint64 // objects (a versioned object counts once)
	Versions      uint64 // object versions; 0 in a bucket that never had versioning
	DeleteMarkers uint64
}

// DataUsageInfo returns the scanner's latest figures (GET /datausageinfo):
// one unencrypted admin call whatever the number of buckets and objects.
func (c *Client) DataUsageInfo(ctx context.Context) (DataUsage, error) {
	const op = "get MinIO data usage"
	r, err := c.call(ctx, op, http.MethodGet, "/datausageinfo", nil, nil)
	if err != nil {
		return DataUsage{}, err
	}
	var msg struct {
		LastUpdate   time.Time `json:"lastUpdate"`
		ObjectsCount uint64    `json:"objectsCount"`
		ObjectsSize  uint64    `json:"objectsTotalSize"`
		Buckets      map[string]struct {
			Size          uint64 `json:"size"`
			Objects       uint64 `json:"objectsCount"`
			Versions      uint64 `json:"versionsCount"`
			DeleteMarkers uint64 `json:"deleteMarkersCount"`
		} `json:"bucketsUsageInfo"`
	}
	if err := json.Unmarshal(r.body, &msg); err != nil {
		return DataUsage{}, shared.Errorf(shared.CodeInternal, "%s: MinIO's reply is not the expected JSON: %w", op, err)
	}
	u := DataUsage{
		LastUpdate: msg.LastUpdate,
		Objects:    msg.ObjectsCount,
		Size:       msg.ObjectsSize,
		Buckets:    make(map[string]BucketUsage, len(msg.Buckets)),
	}
	if u.LastUpdate.Unix() <= 0 {
		u.LastUpdate = time.Time{}
	}
	for name, b := range msg.Buckets {
		u.Buckets[name] = BucketUsage{Size: b.Size, Objects: b.Objects, Versions: b.Versions, DeleteMarkers: b.DeleteMarkers}
	}
	return u, nil
}

// quotaDoc is MinIO's bucket quota document (get-bucket-quota,
// set-bucket-quota). "quota" is the field older servers read; "size" the
// one newer ones prefer; MinIO enforces size when set, else quota, and only
// for the type "hard".
type quotaDoc struct {
	Quota uint64 `json:"quota"`
	Size  uint64 `json:"size"`
	Type  string `json:"quotatype,omitempty"`
}

// BucketQuota returns a bucket's hard quota in bytes, 0 when it has none
// (GET /get-bucket-quota). One unencrypted call. A missing bucket is
// not_found.
func (c *Client) BucketQuota(ctx context.Context, bucket string) (uint64, error) {
	const op = "get bucket quota"
	r, err := c.call(ctx, op, http.MethodGet, "/get-bucket-quota", url.Values{"bucket": {bucket}}, nil)
	if err != nil {
		if isCode(err, "XMinioAdminNoSuchQuotaConfiguration") {
			return 0, nil
		}
		return 0, err
	}
	q, err := QuotaBytes(r.body)
	if err != nil {
		return 0, shared.Errorf(shared.CodeInternal, "%s: %w", op, err)
	}
	return q, nil
}

// QuotaBytes reads MinIO's bucket quota document: the hard quota in
// bytes, 0 for none or for a type MinIO does not enforce.
func QuotaBytes(raw []byte) (uint64, error) {
	var q quotaDoc
	if err := json.Unmarshal(raw, &q); err != nil {
		return 0, fmt.Errorf("MinIO's quota is not the expected JSON: %w", err)
	}
	if q.Type != "" && q.Type != "hard" {
		return 0, nil // not enforced by this MinIO
	}
	if q.Size > 0 {
		return q.Size, nil
	}
	return q.Quota, nil
}

// SetBucketQuota sets a bucket's hard quota to bytes; 0 removes it (PUT
// /set-bucket-quota). MinIO checks a write against the quota with its
// scanner's usage figures, so a bucket may pass its quota by what was
// written within about one scan cycle. One unencrypted call.
func (c *Client) SetBucketQuota(ctx context.Context, bucket string, bytes uint64) error {
	const op = "set bucket quota"
	q := quotaDoc{Quota: bytes, Size: bytes}
	if bytes > 0 {
		q.Type = "hard"
	}
	body, err := json.Marshal(q)
	if err != nil {
		return shared.Errorf(shared.CodeInternal, "%s: %w", op, err)
	}
	_, err = c.call(ctx, op, http.MethodPut, "/set-bucket-quota", url.Values{"bucket": {bucket}}, body)
	return err
}
