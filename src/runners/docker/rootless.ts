// Whether a container engine runs as the invoking user ("rootless": the container's root is that user, so
// steps run as the image's user; on a rootful engine they run as the user's uid:gid, see config.ts). Pure:
// engine.ts gathers the facts.

export interface RootlessFacts {
  /** `docker info`'s security options (rootless Docker and podman 4.4+ list "name=rootless"). */
  securityOptions: string;
  /** The invoking user; undefined where there are no uids. */
  hostUid: number | undefined;
  /** Owner of the unix socket the CLI connects to; undefined for other transports or when it cannot be seen. */
  socketOwner: number | undefined;
  /** Owner of the engine's data root (`docker info`'s DockerRootDir) on this host; undefined when absent here. */
  dataRootOwner: number | undefined;
  /** `docker info`'s OperatingSystem: "Docker Desktop" keeps its data root in its VM, whatever this host has there. */
  operatingSystem?: string;
  /** This host's platform (process.platform). */
  hostPlatform: NodeJS.Platform;
}

/**
 * Podman up to 4.3 says it is rootless only in a field the docker CLI drops, so its socket tells: an engine
 * runs as whoever serves its socket. But a socket owned by the user is not proof: a rootful engine's socket
 * chowned to the user (common advice for "permission denied on docker.sock") or a relay the user runs in
 * front of it belongs to the user too, and running steps as root there leaves root-owned files in the
 * workspace. The engine's data root settles it when it is on this host: a rootless engine keeps its storage
 * in the user's home, a rootful one under root's /var/lib. (Docker Desktop: socket the user's, data root in
 * its VM — a /var/lib/docker on this host is another engine's: rootless, as its file sharing maps the
 * container's root to the user.) A data root not on this host: on macOS or Windows a VM's engine (colima,
 * lima…), whose file sharing maps the container's root to the user too; on Linux an engine in another
 * mount namespace or machine — typically a rootful host engine whose socket is mounted into the container
 * orun runs in, behind a relay owned by the user (a devcontainer's docker-outside-of-docker): rootful.
 */
export function engineRunsAsUser(facts: RootlessFacts): boolean {
  if (facts.securityOptions.includes("rootless")) return true;
  const { hostUid } = facts;
  // Root on the host: the image's user either way (see resolveContainerUser).
  if (hostUid === undefined || hostUid === 0) return false;
  if (facts.socketOwner !== hostUid) return false;
  if (facts.operatingSystem === "Docker Desktop") return true;
  if (facts.dataRootOwner === undefined) return facts.hostPlatform !== "linux";
  return facts.dataRootOwner === hostUid;
}
