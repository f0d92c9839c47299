#!/usr/bin/env python3
"""The host provider at scale: creating N files, a no-op apply and finding one file drifted,
locally and (with --ssh) over SSH to a throwaway sshd on 127.0.0.1, with Ansible's copy module
doing the same in the same run when ansible-playbook is installed (pip install ansible-core):
its first run, its no-op run, and `--check --diff` after the same file was drifted.

    Benchmarks/scripts/host-observe.py --ballast .build/release/ballast --files 300 3000 30000 --ssh
"""
import argparse, getpass, os, shutil, socket, subprocess, sys, tempfile, time


def write_estate(directory, root, files, transport):
    os.makedirs(directory + "/manifests", exist_ok=True)
    docs = [f"""apiVersion: ballast.dev/v1
kind: Site
metadata: {{ name: box }}
spec:
  class: datacenter
  provider: host
  config: {{ root: "{root}", {transport} }}
"""]
    for index in range(files):
        docs.append(f"""apiVersion: ballast.dev/v1
kind: File
metadata: {{ name: f{index}, site: box }}
spec:
  path: "d{index // 30}/file-{index}.conf"
  content: "# generated\\nkey{index} = value {index}\\nlimit = {index % 97}\\n"
""")
    with open(directory + "/manifests/estate.yaml", "w") as f:
        f.write("---\n".join(docs))


def timed(command, accept=(0,), **kwargs):
    """Wall time of `command`; exits when it fails (only the codes in `accept` are success:
    `ansible-playbook` exits 2 when a task failed, which must never pass for a timing)."""
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    elapsed = time.monotonic() - start
    if result.returncode not in accept:
        sys.exit(f"{' '.join(command[:3])}… failed ({result.returncode}): {result.stdout[-1000:]}{result.stderr[-2000:]}")
    return elapsed


class SSHServer:
    """sshd -D on 127.0.0.1 and a free port, with throwaway host and client keys."""

    def __init__(self):
        self.directory = tempfile.mkdtemp(prefix="host-observe-sshd-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.user = getpass.getuser()
        self.key = self.directory + "/client_key"
        self.known_hosts = self.directory + "/known_hosts"
        os.makedirs("/run/sshd", exist_ok=True)
        for key in ("host_key", "client_key"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{self.directory}/{key}"], check=True)
        shutil.copy(self.key + ".pub", self.directory + "/authorized_keys")
        host_key = " ".join(open(self.directory + "/host_key.pub").read().split()[:2])
        with open(self.known_hosts, "w") as f:
            f.write(f"[127.0.0.1]:{self.port} {host_key}\n")
        with open(self.directory + "/sshd_config", "w") as f:
            f.write(f"""ListenAddress 127.0.0.1
Port {self.port}
HostKey {self.directory}/host_key
AuthorizedKeysFile {self.directory}/authorized_keys
PidFile {self.directory}/sshd.pid
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
MaxStartups 100
MaxSessions 100
LogLevel ERROR
""")
        self.process = subprocess.Popen(["/usr/sbin/sshd", "-f", self.directory + "/sshd_config", "-D", "-e"], stderr=subprocess.DEVNULL)
        for _ in range(100):
            if subprocess.run(self.ssh_command() + ["true"], capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        self.stop()
        sys.exit("sshd did not accept connections")

    def ssh_command(self):
        return ["ssh", "-o", "BatchMode=yes", "-o", f"UserKnownHostsFile={self.known_hosts}", "-i", self.key, "-p", str(self.port), f"{self.user}@127.0.0.1"]

    def transport(self):
        return (f'transport: ssh, host: 127.0.0.1, port: {self.port}, user: {self.user}, '
                f'identityFile: "{self.key}", knownHostsFile: "{self.known_hosts}"')

    def stop(self):
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def ansible_playbook(directory, root, files, ssh):
    playbook = directory + "/playbook.yml"
    inventory = directory + "/inventory.ini"
    with open(inventory, "w") as f:
        if ssh:
            f.write(f"box ansible_host=127.0.0.1 ansible_port={ssh.port} ansible_user={ssh.user} "
                    f"ansible_ssh_private_key_file={ssh.key} ansible_python_interpreter={sys.executable} "
                    f"ansible_ssh_common_args='-o UserKnownHostsFile={ssh.known_hosts}'\n")
        else:
            f.write(f"box ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    with open(playbook, "w") as f:
        f.write(f"""- hosts: box
  gather_facts: false
  tasks:
    - name: directories
      ansible.builtin.file: {{ path: "{root}/d{{{{ item }}}}", state: directory, mode: "0755" }}
      loop: "{{{{ range(0, {(files + 29) // 30}) | list }}}}"
    - name: files
      ansible.builtin.copy:
        dest: "{root}/d{{{{ item // 30 }}}}/file-{{{{ item }}}}.conf"
        content: "# generated\\nkey{{{{ item }}}} = value {{{{ item }}}}\\nlimit = {{{{ item % 97 }}}}\\n"
        mode: "0644"
      loop: "{{{{ range(0, {files}) | list }}}}"
""")
    return ["ansible-playbook", "-i", inventory, playbook]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ballast", default=".build/release/ballast")
    parser.add_argument("--files", type=int, nargs="+", default=[300, 3000])
    parser.add_argument("--ansible-limit", type=int, default=3000, help="largest size Ansible is run at (it is slow)")
    parser.add_argument("--ssh", action="store_true", help="also over SSH to a throwaway sshd on 127.0.0.1")
    parser.add_argument("--parallelism", type=int, default=10, help="ballast apply --parallelism (writes run at once, and so share a script)")
    args = parser.parse_args()
    ballast = os.path.abspath(args.ballast)
    ansible = shutil.which("ansible-playbook")
    ssh = SSHServer() if args.ssh else None
    try:
        print("| transport | files | ballast create | ballast no-op apply | ballast plan, one file drifted | ansible first run | ansible no-op run | ansible --check, one file drifted |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for transport in (["local", "ssh"] if ssh else ["local"]):
            for files in args.files:
                directory = tempfile.mkdtemp(prefix="host-observe-")
                try:
                    root = directory + "/root"
                    write_estate(directory, root, files, "transport: local" if transport == "local" else ssh.transport())
                    state = ["--state", directory + "/state"]
                    parallelism = ["--parallelism", str(args.parallelism)]
                    create = timed([ballast, "apply", directory + "/manifests", "--auto-approve"] + parallelism + state)
                    noop = timed([ballast, "apply", directory + "/manifests", "--auto-approve"] + parallelism + state)
                    with open(f"{root}/d0/file-0.conf", "a") as f:
                        f.write("tampered\n")
                    drift = timed([ballast, "plan", directory + "/manifests", "--detailed-exitcode"] + state, accept=(2,))
                    first = again = check = "—"
                    if ansible and files <= args.ansible_limit:
                        aroot = directory + "/aroot"
                        command = ansible_playbook(directory, aroot, files, ssh if transport == "ssh" else None)
                        environment = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False", ANSIBLE_HOST_KEY_CHECKING="False")
                        first = f"{timed(command, env=environment):.1f} s"
                        written = sum(len(names) for _, _, names in os.walk(aroot))
                        if written != files:
                            sys.exit(f"ansible wrote {written} files, not {files}")
                        again = f"{timed(command, env=environment):.1f} s"
                        with open(f"{aroot}/d0/file-0.conf", "a") as f:
                            f.write("tampered\n")
                        check = f"{timed(command + ['--check', '--diff'], env=environment):.1f} s"
                    print(f"| {transport} | {files:,} | {create:.2f} s | {noop:.2f} s | {drift:.2f} s | {first} | {again} | {check} |", flush=True)
                finally:
                    shutil.rmtree(directory, ignore_errors=True)
    finally:
        if ssh:
            ssh.stop()


main()
