/* SPDX-License-Identifier: MIT
 * libnice wrapper: one stream, one component, host candidates only. */
#define G_LOG_DOMAIN "ice"
#include "media/ice.h"

#include <errno.h>
#include <gio/gio.h>
#include <nice/agent.h>
#include <nice/interfaces.h>
#include <string.h>
#include <sys/socket.h>

/* The send shortcut: once a UDP host pair is selected, datagrams go straight to
 * its socket with sendto() instead of through nice_agent_send() (which takes
 * the agent lock and goes through GSocket/NiceSocket for every packet). TURN
 * and TCP pairs, and agents that check consent, keep nice_agent_send(). */
typedef struct {
  gboolean checked; /* the fields below are valid for the current selected pair */
  GSocket *sock;    /* NULL: use nice_agent_send() */
  int fd;
  struct sockaddr_storage addr;
  socklen_t addr_len;
} MgIceDirect;

struct MgIce {
  NiceAgent *agent;
  guint stream;
  MgIceCallbacks cb;
  gpointer user_data;
  MgIceState state;
  char *ufrag, *pwd;
  char *advertised;
  GMainContext *ctx;
  gboolean consent; /* consent freshness on: sends must go through libnice */
  MgIceDirect direct;
};

static void
direct_reset(MgIce *ice)
{
  g_clear_object(&ice->direct.sock);
  ice->direct.checked = FALSE;
}

/* Looks up the selected pair once after each change; leaves sock NULL when the
 * pair is not a plain UDP host pair. */
static void
direct_setup(MgIce *ice)
{
  ice->direct.checked = TRUE;
  if (ice->consent || ice->state != MG_ICE_CONNECTED)
    return;
  NiceCandidate *local = NULL, *remote = NULL;
  if (!nice_agent_get_selected_pair(ice->agent, ice->stream, 1, &local, &remote))
    return;
  if (local->transport != NICE_CANDIDATE_TRANSPORT_UDP || local->type == NICE_CANDIDATE_TYPE_RELAYED)
    return;
  GSocket *sock = nice_agent_get_selected_socket(ice->agent, ice->stream, 1);
  if (!sock)
    return;
  int fd = g_socket_get_fd(sock);
  memset(&ice->direct.addr, 0, sizeof ice->direct.addr);
  nice_address_copy_to_sockaddr(&remote->addr, (struct sockaddr *)&ice->direct.addr);
  int family = ice->direct.addr.ss_family;
  if (fd < 0 || (family != AF_INET && family != AF_INET6) || (int)g_socket_get_family(sock) != family) {
    g_object_unref(sock);
    return;
  }
  ice->direct.sock = sock;
  ice->direct.fd = fd;
  ice->direct.addr_len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

static void
on_selected_pair(NiceAgent *agent, guint stream, guint component, NiceCandidate *local, NiceCandidate *remote,
                 gpointer data)
{
  direct_reset(data);
}

static void
on_recv(NiceAgent *agent, guint stream, guint component, guint len, gchar *buf, gpointer data)
{
  MgIce *ice = data;
  if (ice->cb.recv)
    ice->cb.recv((guint8 *)buf, len, ice->user_data);
}

static void
set_state(MgIce *ice, MgIceState state)
{
  if (ice->state == state)
    return;
  ice->state = state;
  direct_reset(ice);
  if (ice->cb.state)
    ice->cb.state(state, ice->user_data);
}

static void
on_component_state(NiceAgent *agent, guint stream, guint component, guint state, gpointer data)
{
  MgIce *ice = data;
  switch (state) {
  case NICE_COMPONENT_STATE_CONNECTING:
    set_state(ice, MG_ICE_CHECKING);
    break;
  case NICE_COMPONENT_STATE_CONNECTED:
  case NICE_COMPONENT_STATE_READY:
    set_state(ice, MG_ICE_CONNECTED);
    break;
  case NICE_COMPONENT_STATE_FAILED:
    set_state(ice, MG_ICE_FAILED);
    break;
  default:
    break;
  }
}

static void
read_credentials(MgIce *ice)
{
  g_clear_pointer(&ice->ufrag, g_free);
  g_clear_pointer(&ice->pwd, g_free);
  nice_agent_get_local_credentials(ice->agent, ice->stream, &ice->ufrag, &ice->pwd);
}

static gboolean
add_addresses(MgIce *ice, char **addresses, GError **error)
{
  g_autoptr(GList) auto_ips = NULL;
  if (!addresses || !addresses[0]) {
    auto_ips = nice_interfaces_get_local_ips(FALSE);
    if (!auto_ips)
      auto_ips = nice_interfaces_get_local_ips(TRUE); /* a loopback-only host */
  }
  guint added = 0;
  for (char **a = addresses; a && *a; a++) {
    NiceAddress addr;
    nice_address_init(&addr);
    if (!nice_address_set_from_string(&addr, *a)) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "media address '%s' is not an IP address", *a);
      return FALSE;
    }
    added += nice_agent_add_local_address(ice->agent, &addr);
  }
  for (GList *l = auto_ips; l; l = l->next) {
    NiceAddress addr;
    nice_address_init(&addr);
    if (nice_address_set_from_string(&addr, l->data))
      added += nice_agent_add_local_address(ice->agent, &addr);
  }
  g_list_free_full(g_steal_pointer(&auto_ips), g_free);
  if (!added) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "no local address to gather ICE candidates on");
    return FALSE;
  }
  return TRUE;
}

MgIce *
mg_ice_new(GMainContext *ctx, const MgIceSettings *settings, const MgIceCallbacks *cb, gpointer user_data,
           GError **error)
{
  g_autoptr(MgIce) ice = g_new0(MgIce, 1);
  NiceAgentOption opts = NICE_AGENT_OPTION_ICE_TRICKLE;
  if (!settings->controlling)
    opts |= NICE_AGENT_OPTION_LITE_MODE;
  else
    opts |= NICE_AGENT_OPTION_CONSENT_FRESHNESS;

  ice->ctx = g_main_context_ref(ctx);
  ice->cb = *cb;
  ice->user_data = user_data;
  ice->advertised = g_strdup(settings->advertised);
  ice->agent = nice_agent_new_full(ctx, NICE_COMPATIBILITY_RFC5245, opts);
  g_object_set(ice->agent, "controlling-mode", settings->controlling, "ice-tcp", settings->tcp, "ice-udp", TRUE, "upnp",
               FALSE, "keepalive-conncheck", settings->controlling, NULL);
  if (!add_addresses(ice, settings->addresses, error))
    return NULL;
  ice->stream = nice_agent_add_stream(ice->agent, 1);
  if (settings->port_min || settings->port_max)
    nice_agent_set_port_range(ice->agent, ice->stream, 1, settings->port_min, settings->port_max);
  ice->consent = settings->controlling;
  g_signal_connect(ice->agent, "component-state-changed", G_CALLBACK(on_component_state), ice);
  g_signal_connect(ice->agent, "new-selected-pair-full", G_CALLBACK(on_selected_pair), ice);
  if (!nice_agent_gather_candidates(ice->agent, ice->stream)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot gather ICE candidates (port range %u-%u exhausted?)",
                settings->port_min, settings->port_max);
    return NULL;
  }
  nice_agent_attach_recv(ice->agent, ice->stream, 1, ctx, on_recv, ice);
  read_credentials(ice);
  return g_steal_pointer(&ice);
}

void
mg_ice_free(MgIce *ice)
{
  if (!ice)
    return;
  direct_reset(ice);
  if (ice->agent) {
    g_signal_handlers_disconnect_by_data(ice->agent, ice);
    if (ice->stream) {
      nice_agent_attach_recv(ice->agent, ice->stream, 1, ice->ctx, NULL, NULL);
      nice_agent_remove_stream(ice->agent, ice->stream);
    }
    g_object_unref(ice->agent);
  }
  g_main_context_unref(ice->ctx);
  g_free(ice->ufrag);
  g_free(ice->pwd);
  g_free(ice->advertised);
  g_free(ice);
}

const char *
mg_ice_get_ufrag(MgIce *ice)
{
  return ice->ufrag;
}

const char *
mg_ice_get_pwd(MgIce *ice)
{
  return ice->pwd;
}

static char *
candidate_value(NiceAgent *agent, NiceCandidate *c)
{
  g_autofree char *sdp = nice_agent_generate_local_candidate_sdp(agent, c);
  return g_strdup(g_str_has_prefix(sdp, "a=") ? sdp + 2 : sdp);
}

GPtrArray *
mg_ice_get_local_candidates(MgIce *ice)
{
  GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
  GSList *cands = nice_agent_get_local_candidates(ice->agent, ice->stream, 1);
  for (GSList *l = cands; l; l = l->next) {
    NiceCandidate *c = l->data;
    g_ptr_array_add(out, candidate_value(ice->agent, c));
    if (ice->advertised && c->type == NICE_CANDIDATE_TYPE_HOST) {
      /* The same socket, reached through a 1:1 NAT: same port, public address. */
      NiceCandidate *pub = nice_candidate_copy(c);
      nice_address_set_from_string(&pub->addr, ice->advertised);
      nice_address_set_port(&pub->addr, nice_address_get_port(&c->addr));
      pub->priority -= 1;
      g_strlcpy(pub->foundation, "9", sizeof pub->foundation);
      g_ptr_array_add(out, candidate_value(ice->agent, pub));
      nice_candidate_free(pub);
    }
  }
  g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
  return out;
}

gboolean
mg_ice_set_remote_credentials(MgIce *ice, const char *ufrag, const char *pwd)
{
  return nice_agent_set_remote_credentials(ice->agent, ice->stream, ufrag, pwd);
}

gboolean
mg_ice_add_remote_candidate(MgIce *ice, const char *candidate)
{
  g_autofree char *line = g_str_has_prefix(candidate, "a=") ? g_strdup(candidate) : g_strconcat("a=", candidate, NULL);
  g_strchomp(line);
  NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(ice->agent, ice->stream, line);
  if (!c)
    return FALSE;
  GSList one = { c, NULL };
  int n = nice_agent_set_remote_candidates(ice->agent, ice->stream, 1, &one);
  nice_candidate_free(c);
  return n == 1;
}

void
mg_ice_end_of_candidates(MgIce *ice)
{
  nice_agent_peer_candidate_gathering_done(ice->agent, ice->stream);
}

gboolean
mg_ice_restart(MgIce *ice)
{
  direct_reset(ice);
  if (!nice_agent_restart_stream(ice->agent, ice->stream))
    return FALSE;
  read_credentials(ice);
  return TRUE;
}

int
mg_ice_send(MgIce *ice, const guint8 *data, gsize len)
{
  if (G_UNLIKELY(!ice->direct.checked))
    direct_setup(ice);
  if (ice->direct.sock && !g_socket_is_closed(ice->direct.sock)) {
    ssize_t r = sendto(ice->direct.fd, data, len, MSG_DONTWAIT, (const struct sockaddr *)&ice->direct.addr,
                       ice->direct.addr_len);
    if (r == (ssize_t)len)
      return 0;
    return r < 0 && errno != EAGAIN && errno != EWOULDBLOCK ? -errno : -EAGAIN;
  }
  int n = nice_agent_send(ice->agent, ice->stream, 1, len, (const gchar *)data);
  return n == (int)len ? 0 : -EAGAIN;
}

MgIceState
mg_ice_get_state(MgIce *ice)
{
  return ice->state;
}

char *
mg_ice_describe_pair(MgIce *ice)
{
  NiceCandidate *local = NULL, *remote = NULL;
  if (!nice_agent_get_selected_pair(ice->agent, ice->stream, 1, &local, &remote))
    return NULL;
  char la[NICE_ADDRESS_STRING_LEN], ra[NICE_ADDRESS_STRING_LEN];
  nice_address_to_string(&local->addr, la);
  nice_address_to_string(&remote->addr, ra);
  return g_strdup_printf("%s %s:%u <-> %s:%u", local->transport == NICE_CANDIDATE_TRANSPORT_UDP ? "udp" : "tcp", la,
                         nice_address_get_port(&local->addr), ra, nice_address_get_port(&remote->addr));
}
