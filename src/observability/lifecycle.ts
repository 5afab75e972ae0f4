/**
 * Where this process is in its life, for `/readyz`: once a shutdown begins it is draining, so load
 * balancers stop sending it new requests while the ones in flight finish.
 */
export class Lifecycle {
  #draining = false;

  get draining(): boolean {
    return this.#draining;
  }

  startDraining(): void {
    this.#draining = true;
  }
}
