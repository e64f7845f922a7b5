// Baseline for bench/synth.ts: load the Pulumi SDKs and nothing else.
import "@pulumi/aws";
import "@pulumi/kubernetes";
import "@pulumi/pulumi";
import "@pulumi/random";
