// The web monitor's entry point: reads the view from the URL and starts.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { Api } from './api.js';
import { App } from './app.js';
import { storedAuthorization } from './ui/sign-in.js';
import { parseViewState } from './view-state.js';

const root = document.getElementById('app');
if (root) new App(root, Api.forPage(location, storedAuthorization()), parseViewState(location.search), location.search === '');
