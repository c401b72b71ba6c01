/** A manifest author's login, its password read from the reference the manifest names: what the membership service reads the network as. Never logged. */
export interface Credentials {
  identifier: string;
  password: string;
  service: string;
}
