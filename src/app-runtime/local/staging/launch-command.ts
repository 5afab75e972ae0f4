/**
 * The `/bin/sh -c` script that runs `command` in an unpacked droplet as CF's launcher does: from the
 * app's directory (the current one), it first sources the droplet's `.profile.d/*.sh` (where the
 * buildpacks put the app's PATH: the project's Node, the Python virtual environment, the Go binary's
 * directory) and the app's own `.profile`, then runs the command. The running part wraps every process
 * and task command with it, whether the command came from the droplet or from the app's manifest.
 */
export function launchScript(command: string): string {
  return [
    'for profile in .profile.d/*.sh; do if [ -f "$profile" ]; then . "./$profile"; fi; done',
    'if [ -f .profile ]; then . ./.profile; fi',
    command,
  ].join('\n');
}
