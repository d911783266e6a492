/**
 * The exit codes of every `stui` command. Documented in `stui --help` and README.md;
 * a test pins this table to the help text so the two cannot drift apart.
 */
export const EXIT = {
  /** Everything went well. */
  ok: 0,
  /** The script threw, rejected, or exited with a non-zero code of its own. */
  scriptError: 1,
  /** Bad command line: unknown command or option, missing script. */
  usage: 2,
  /** A call needed a permission class that was not granted (or was denied). */
  permissionDenied: 3,
  /** The STUI server did not answer (nothing listening at the endpoint, or no reply in time). */
  unreachable: 4,
  /** The script ran longer than --timeout and was killed. */
  timeout: 124,
  /** Interrupted by Ctrl-C (SIGINT). */
  interrupted: 130,
  /** Ended by SIGHUP (the terminal or ssh connection closed): 128 + 1, as a shell reports it. */
  hangup: 129,
  /** Ended by SIGTERM (kill, timeout(1), systemd, a CI runner): 128 + 15. */
  terminated: 143,
} as const;

/** The exit code of a run ended by each signal the host handles (it cleans up first: sessions, sandbox, run folder). */
export const SIGNAL_EXIT = { SIGINT: EXIT.interrupted, SIGHUP: EXIT.hangup, SIGTERM: EXIT.terminated } as const;
export type StopSignal = keyof typeof SIGNAL_EXIT;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    script error (the script threw, rejected or exited non-zero)
  2    usage error (bad command line)
  3    permission denied (a call needed a permission that was not granted)
  4    server unreachable (no STUI server answered at the endpoint, or it did not let this
       client in: then stderr says it is a key problem)
  124  timeout (the script ran longer than --timeout and was killed)
  129  hung up (SIGHUP: the terminal closed), after the same clean-up as Ctrl-C
  130  interrupted (Ctrl-C)
  143  terminated (SIGTERM), after the same clean-up as Ctrl-C`;
