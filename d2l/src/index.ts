/**
 * d2l: the helpers that *Dive into Deep Learning* saves as it goes (the `#@save` functions of
 * `d2l/torch.py`), on TensorFlow.js. Each doc comment names the section that defines the helper.
 */
export { tf, ready, backend, useBackend, availableBackends, BACKENDS } from './backend';
export type { BackendName } from './backend';
export { seed } from './random';
export { Timer } from './timer';
export { synthetic_data, data_iter, load_array } from './data';
export type { DataLoader } from './data';
export { linreg, squared_loss, sgd } from './linreg';
export { lstsq } from './lstsq';
