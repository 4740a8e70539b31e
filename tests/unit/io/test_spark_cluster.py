"""The local Spark standalone cluster's command line and its checks before anything starts
(:mod:`helpers.io.spark_cluster`); a real cluster runs in tests/integration/test_spark_cluster.py."""
from __future__ import annotations

import socket

import pytest

from helpers.errors import ConfigError
from helpers.io import spark_cluster


def test_nothing_runs_in_a_fresh_folder(tmp_path, capsys):
    assert spark_cluster.status(tmp_path) == ""
    spark_cluster.stop(tmp_path)                      # stopping nothing is fine
    assert spark_cluster.main(["status", "--dir", str(tmp_path)]) == 1
    assert capsys.readouterr().out.strip() == "not running"


def test_a_stale_pid_file_is_not_a_running_cluster(tmp_path):
    (tmp_path / "master.pid").write_text("999999999")
    assert spark_cluster.status(tmp_path) == ""
    spark_cluster.stop(tmp_path)
    assert not (tmp_path / "master.pid").exists()


def test_a_taken_port_is_refused_before_anything_starts(tmp_path):
    with socket.socket() as s:
        s.bind((spark_cluster.HOST, 0))
        s.listen()
        with pytest.raises(RuntimeError, match=rf"port {s.getsockname()[1]} on 127\.0\.0\.1 is taken"):
            spark_cluster.start(tmp_path, port=s.getsockname()[1])
    assert not list(tmp_path.glob("*.pid"))


def test_without_java_a_config_error(tmp_path, monkeypatch):
    monkeypatch.setattr(spark_cluster.shutil, "which", lambda name: None)
    with pytest.raises(ConfigError, match="needs Java"):
        spark_cluster.start(tmp_path, port=spark_cluster.free_port())


def test_the_jars_come_from_the_pyspark_package():
    home = spark_cluster.spark_home()
    assert (home / "jars").is_dir() and any((home / "jars").glob("spark-core_*.jar"))
    assert spark_cluster._scala_version(home) in ("2.12", "2.13")
