/// The small Python supervisor every test server runs under. It unblocks SIGTERM (test runners
/// block it, and children inherit the mask), stops the server on SIGTERM, and stops it too when
/// the test process goes away without stopping it, so no server outlives its tests, even after
/// a crash.
///
/// Environment: `SUPERVISED_USER` runs the server as that user (PostgreSQL refuses root);
/// `SUPERVISED_STOP_SIGNAL` is the signal that stops it (default SIGKILL; PostgreSQL's fast
/// shutdown is SIGINT), with SIGKILL after 20 s.
enum ServerSupervisor {
    static let script = """
    import os, signal, subprocess, sys, time
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    parent = os.getppid()
    child = subprocess.Popen(sys.argv[1:], user=os.environ.get("SUPERVISED_USER") or None)
    stop_signal = int(os.environ.get("SUPERVISED_STOP_SIGNAL", int(signal.SIGKILL)))
    def stop(*_):
        child.send_signal(stop_signal)
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill(); child.wait()
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    while child.poll() is None:
        if os.getppid() != parent: stop()
        time.sleep(0.5)
    """
}
