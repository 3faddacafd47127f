// Plain http is allowed only for a service on this machine (development): the server's settings,
// the import job's API URL and the page's issuer all ask the same question. Pure: the page's
// bundle includes it.

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname);
}
