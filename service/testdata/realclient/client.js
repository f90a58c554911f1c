// Drives the service as a platform would, with Edge Impulse's own npm
// client (edge-impulse-api) and socket.io-client 2.x and 4.x. Run by
// TestRealClient (realclient_test.go), which starts the service and sets:
//   TI_URL        the service's base URL
//   TI_ADMIN_KEY  the admin key (starts with ei_, as the client requires)
//   TI_DATASETS   datasets to upload, "name=dir=impulse.json" separated by ;
//   TI_OUT        folder for the raw JSON responses the Go test type-checks
//   NODE_PATH     the folder the packages were installed in
// It exits 0 when every step worked and prints one line per step.
'use strict';
const fs = require('fs');
const path = require('path');
const { EdgeImpulseApi } = require('edge-impulse-api');
const io2 = require('sio2');
const io4 = require('sio4');

const URL_ = process.env.TI_URL;
const ADMIN = process.env.TI_ADMIN_KEY;
const OUT = process.env.TI_OUT;

function check(cond, msg) {
    if (!cond) {
        throw new Error('check failed: ' + msg);
    }
}

function step(msg) {
    console.log('ok - ' + msg);
}

// raw GET through fetch, saved for the Go test's type check.
async function saveRaw(key, route, file) {
    const res = await fetch(URL_ + route, { headers: { 'x-api-key': key } });
    const text = await res.text();
    check(res.status === 200, `${route}: ${res.status} ${text}`);
    fs.writeFileSync(path.join(OUT, file), text);
    return JSON.parse(text);
}

// upload sends the files of a dataset folder through the ingestion
// route, one request per category and label (x-label), as a platform's
// uploader would.
async function upload(key, dir) {
    const info = JSON.parse(fs.readFileSync(path.join(dir, 'info.labels'), 'utf8'));
    const groups = {};
    for (const f of info.files) {
        const k = f.category + '\t' + f.label.label;
        (groups[k] = groups[k] || []).push(f.path);
    }
    let n = 0;
    for (const [k, files] of Object.entries(groups)) {
        const [category, label] = k.split('\t');
        for (let i = 0; i < files.length; i += 50) {
            const form = new FormData();
            for (const p of files.slice(i, i + 50)) {
                form.append('data', new Blob([fs.readFileSync(path.join(dir, p))]), path.basename(p));
            }
            const res = await fetch(URL_ + '/api/' + category + '/files', {
                method: 'POST', body: form, headers: { 'x-api-key': key, 'x-label': label },
            });
            const body = await res.json();
            check(res.status === 200 && body.success, 'upload: ' + JSON.stringify(body));
            check(body.files.length === files.slice(i, i + 50).length, 'upload: one result per file');
            n += body.files.length;
        }
    }
    return n;
}

async function trainProject(admin, name, dir, impulseFile, save) {
    const created = await admin.projects.createProject({ projectName: name });
    check(created.success && created.id > 0 && created.apiKey.startsWith('ei_'), 'createProject');
    const pid = created.id;
    const api = new EdgeImpulseApi({ endpoint: URL_ });
    await api.authenticate({ method: 'apiKey', apiKey: created.apiKey });
    step(`${name}: project ${pid} created`);

    const n = await upload(created.apiKey, dir);
    const info = await api.projects.getProjectInfo(pid);
    check(info.project.id === pid && info.dataSummary.dataCount === n, 'getProjectInfo counts the uploads');
    step(`${name}: ${n} samples uploaded through /api/{category}/files`);

    const def = JSON.parse(fs.readFileSync(impulseFile, 'utf8'));
    const imp = await api.impulse.createImpulse(pid, def.impulse);
    check(imp.success, 'createImpulse');
    for (const [id, params] of Object.entries(def.dsp || {})) {
        const config = {};
        for (const [k, v] of Object.entries(params)) {
            config[k] = String(v);
        }
        await api.dsp.setDspConfig(pid, Number(id), { config });
    }
    const got = await api.impulse.getImpulse(pid);
    check(got.impulse && got.impulse.learnBlocks.length === def.impulse.learnBlocks.length, 'getImpulse');
    step(`${name}: impulse set`);

    const keras = got.impulse.learnBlocks.find(b => b.type === 'keras');
    const kerasConfig = await api.learn.getKeras(pid, keras.id);
    kerasConfig.trainingCycles = 20;
    const job = await api.jobs.trainKerasJob(pid, keras.id, kerasConfig);
    check(job.success && job.id > 0, 'trainKerasJob');
    let log = '';
    await api.runJobUntilCompletion({ type: 'project', projectId: pid, jobId: job.id }, d => { log += d; });
    check(/Epoch 20\/20/.test(log), 'the socket streamed the training log:\n' + log);
    check(/Job completed/.test(log), 'the socket streamed the end of the job');
    const status = await api.jobs.getJobStatus(pid, job.id);
    check(status.job.finishedSuccessful === true && status.job.id === job.id, 'getJobStatus');
    step(`${name}: training job ${job.id} followed with runJobUntilCompletion (${log.split('\n').length} log lines)`);

    const detailed = await api.impulse.getAllDetailedImpulses(pid);
    check(detailed.impulses.length === 1 && detailed.impulses[0].learnBlockKerasConfigs.length >= 1, 'getAllDetailedImpulses');
    if (save) {
        await saveRaw(created.apiKey, `/v1/api/${pid}/impulses-detailed`, 'GetAllDetailedImpulsesResponse.json');
        await saveRaw(created.apiKey, `/v1/api/${pid}/jobs/${job.id}/status`, 'GetJobResponse.json');
        await saveRaw(created.apiKey, `/v1/api/${pid}/jobs/${job.id}/stdout`, 'LogStdoutResponse.json');
        await saveRaw(created.apiKey, `/v1/api/${pid}/jobs/all`, 'ListJobsResponse.json');
        await saveRaw(created.apiKey, `/v1/api/${pid}`, 'ProjectInfoResponse.json');
        await saveRaw(created.apiKey, `/v1/api/${pid}/impulse`, 'GetImpulseResponse.json');
        await saveRaw(created.apiKey, `/v1/api/${pid}/training/keras/${keras.id}`, 'KerasResponse.json');
        await saveRaw(created.apiKey, `/v1/api/${pid}/training/keras/${keras.id}/metadata`, 'KerasModelMetadataResponse.json');
        await saveRaw(created.apiKey, `/v1/api/${pid}/socket-token`, 'SocketTokenResponse.json');
    }
    const meta = await api.learn.getKerasMetadata(pid, keras.id);
    check(meta.hasTrainedModel === true, 'getKerasMetadata');
    const logs = await api.jobs.getJobsLogs(pid, job.id);
    check(logs.stdout.map(l => l.data).join('').includes('Epoch 20/20'), 'getJobsLogs');
    step(`${name}: impulses-detailed, keras metadata and stdout read`);
    return { api, pid, key: created.apiKey, keras };
}

// cancelOverSocket starts a long job and cancels it with job-cancel on the
// package's own WebSocket.
async function cancelOverSocket(p) {
    const { api, pid, keras } = p;
    const cfg = await api.learn.getKeras(pid, keras.id);
    cfg.trainingCycles = 5000;
    const job = await api.jobs.trainKerasJob(pid, keras.id, cfg);
    const ws = await api.getProjectWebsocket(pid);
    let log = '';
    let finished;
    const done = new Promise(resolve => {
        ws.onmessage = msg => {
            const m = JSON.parse(msg.data.toString().replace(/^[0-9]+/, '') || 'null');
            if (!Array.isArray(m)) {
                return;
            }
            if (m[0] === `job-data-${job.id}`) {
                log += m[1].data;
                if (/Epoch 2\//.test(log) && !done.sent) {
                    done.sent = true;
                    ws.send('42' + JSON.stringify(['job-cancel', { jobId: job.id }]));
                }
            }
            if (m[0] === `job-finished-${job.id}`) {
                finished = m[1];
                resolve();
            }
        };
    });
    ws.send('42' + JSON.stringify(['start-log-stream', { jobId: job.id, lastReceivedTimestamp: 0 }]));
    await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error('no job-finished after job-cancel')), 60000))]);
    ws.terminate();
    check(finished && finished.success === false, 'job-finished reports failure after job-cancel');
    const status = await api.jobs.getJobStatus(pid, job.id);
    check(status.job.finishedSuccessful === false, 'the cancelled job is finished unsuccessfully');
    const logs = await api.jobs.getJobsLogs(pid, job.id);
    const text = logs.stdout.map(l => l.data).join('');
    check(/Terminated by user/.test(text), 'the cancelled job\'s stdout says so:\n' + text);
    step(`job ${job.id} cancelled with job-cancel over the WebSocket; stdout says "Terminated by user"`);
    // runJobUntilCompletion on a failed job throws, as on Studio.
    let threw = false;
    try {
        await api.runJobUntilCompletion({ type: 'project', projectId: pid, jobId: job.id });
    } catch (e) {
        threw = /Job failed/.test(e.message);
    }
    check(threw, 'runJobUntilCompletion reports the cancelled job as failed');
    step('runJobUntilCompletion reports the cancelled job as failed');
}

// socketClients follows a job with socket.io-client 2.x and 4.x (default
// transports: long polling, then the upgrade to WebSocket).
async function socketClients(p) {
    const { api, pid, keras } = p;
    const tok = await api.projects.getSocketToken(pid);
    const clients = {
        'socket.io-client 2': io2(URL_, { query: { token: tok.token.socketToken }, forceNew: true }),
        'socket.io-client 4': io4(URL_, { query: { token: tok.token.socketToken }, forceNew: true }),
    };
    const hello = Object.entries(clients).map(([name, c]) => new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(name + ': no hello')), 20000);
        c.on('hello', m => { clearTimeout(t); check(m.hello.version === 1, name + ' hello'); resolve(); });
        c.on('connect_error', e => reject(new Error(name + ': ' + e.message)));
    }));
    await Promise.all(hello);
    // Wait for the upgrade to the WebSocket transport.
    await new Promise(r => setTimeout(r, 500));
    const cfg = await api.learn.getKeras(pid, keras.id);
    cfg.trainingCycles = 5;
    const job = await api.jobs.trainKerasJob(pid, keras.id, cfg);
    const results = await Promise.all(Object.entries(clients).map(([name, c]) => new Promise((resolve, reject) => {
        let lines = 0;
        const t = setTimeout(() => reject(new Error(name + ': no job-finished')), 60000);
        c.on(`job-data-${job.id}`, m => { lines += m.data.split('\n').length - 1; });
        c.on(`job-finished-${job.id}`, m => {
            clearTimeout(t);
            resolve({ name, lines, success: m.success, transport: (c.io.engine.transport || {}).name });
        });
    })));
    for (const r of results) {
        check(r.success === true && r.lines > 5, r.name + ' received the job\'s events: ' + JSON.stringify(r));
        step(`${r.name} (transport ${r.transport}) received ${r.lines} log lines and job-finished {success: true}`);
    }
    for (const c of Object.values(clients)) {
        c.close();
    }
}

(async () => {
    const admin = new EdgeImpulseApi({ endpoint: URL_ });
    await admin.authenticate({ method: 'apiKey', apiKey: ADMIN });
    let first;
    for (const spec of process.env.TI_DATASETS.split(';')) {
        const [name, dir, impulse] = spec.split('=');
        const p = await trainProject(admin, name, dir, impulse, !first);
        first = first || p;
    }
    await cancelOverSocket(first);
    await socketClients(first);
    // A project's key does not reach another project.
    const other = await admin.projects.createProject({ projectName: 'other' });
    let denied = '';
    try {
        await first.api.projects.getProjectInfo(other.id);
    } catch (e) {
        denied = e.message;
    }
    check(/not found/.test(denied), 'another project is "not found": ' + denied);
    step('a project key gets "not found" for another project');
    console.log('done');
    process.exit(0);
})().catch(e => {
    console.error('FAIL', e && e.stack || e);
    process.exit(1);
});
