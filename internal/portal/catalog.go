package portal

// Upstream names, as stored in SQLite and shown on pages.
const (
	UpstreamArgo    = "argo"
	UpstreamOBI     = "obi"
	UpstreamAMIE    = "amie"
	UpstreamVergeOS = "vergeos"
)

// Upstreams lists every upstream in page order.
var Upstreams = []string{UpstreamOBI, UpstreamArgo, UpstreamAMIE, UpstreamVergeOS}

// UpstreamTitle returns the name people know an upstream by.
func UpstreamTitle(u string) string {
	switch u {
	case UpstreamArgo:
		return "ARGO Accounting"
	case UpstreamOBI:
		return "OBI budgets"
	case UpstreamAMIE:
		return "ACCESS AMIE usage"
	case UpstreamVergeOS:
		return "VergeOS billing"
	}
	return u
}

// Catalog names the portal's projects and where each lives upstream. It
// comes from configuration: role claims name portal project keys, and the
// OBI service has no endpoint that lists its virtual labs and projects.
type Catalog struct {
	VirtualLabs []VirtualLab     `json:"virtual_labs"`
	Projects    []CatalogProject `json:"projects"`
}

// VirtualLab is an OBI virtual lab: a budget holder with projects.
type VirtualLab struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// CatalogProject is one project with its id in each upstream that knows it.
type CatalogProject struct {
	Key       string `json:"key"`
	Name      string `json:"name"`
	ArgoID    string `json:"argo_id,omitempty"`
	OBIID     string `json:"obi_id,omitempty"`
	OBIVlabID string `json:"obi_vlab_id,omitempty"`
	AMIEID    string `json:"amie_id,omitempty"`
	// VergeOSTenant is the name of the project's VergeOS tenant, whose
	// usage is the project's (the billing records are system-wide).
	VergeOSTenant string `json:"vergeos_tenant,omitempty"`
}

// UpstreamID returns the project's id in upstream u, or "".
func (p CatalogProject) UpstreamID(u string) string {
	switch u {
	case UpstreamArgo:
		return p.ArgoID
	case UpstreamOBI:
		return p.OBIID
	case UpstreamAMIE:
		return p.AMIEID
	case UpstreamVergeOS:
		return p.VergeOSTenant
	}
	return ""
}
